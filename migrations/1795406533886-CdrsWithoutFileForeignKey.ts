import { MigrationInterface, QueryRunner } from "typeorm";
// The per-row RI trigger of this key cost about a third of the load time of a large carrier file;
// carrier_cdrs rows are written only by the ingest that creates their file, in the same transaction.

export class CdrsWithoutFileForeignKey1795406533886 implements MigrationInterface {
    name = 'CdrsWithoutFileForeignKey1795406533886'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "carrier_cdrs" DROP CONSTRAINT "fk_carrier_cdrs_file"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "carrier_cdrs" ADD CONSTRAINT "fk_carrier_cdrs_file" FOREIGN KEY ("file_id") REFERENCES "carrier_files"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

}
