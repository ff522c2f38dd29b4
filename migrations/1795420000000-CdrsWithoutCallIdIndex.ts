import { MigrationInterface, QueryRunner } from "typeorm";

export class CdrsWithoutCallIdIndex1795420000000 implements MigrationInterface {
    name = 'CdrsWithoutCallIdIndex1795420000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_carrier_cdrs_carrier_call"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "ix_carrier_cdrs_carrier_call" ON "carrier_cdrs" ("carrier_id", "call_id") `);
    }

}
