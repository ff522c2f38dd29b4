import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * microsoft_raw_batches.import_xact: the transaction of the import whose rows a batch written on the
 * import's evidence connection is the evidence of. A process killed between the evidence's commit and
 * the import's left batches that no row names; once their import's transaction is known to have
 * aborted (pg_xact_status), they are deleted.
 */
export class RawBatchOwner1795420800000 implements MigrationInterface {
    name = 'RawBatchOwner1795420800000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "microsoft_raw_batches" ADD "import_xact" text`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "microsoft_raw_batches" DROP COLUMN "import_xact"`);
    }

}
