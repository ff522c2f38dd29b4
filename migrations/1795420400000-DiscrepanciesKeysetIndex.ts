import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The export pages through a window's discrepancies by (start_time, id). On (carrier_id, start_time)
 * each page read every later row of the window and sorted them: a window of n discrepancies cost
 * n²/(2 × page size) rows. With id in the index a page is read in order and stops at its limit.
 */
export class DiscrepanciesKeysetIndex1795420400000 implements MigrationInterface {
    name = 'DiscrepanciesKeysetIndex1795420400000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_discrepancies_carrier_start"`);
        await queryRunner.query(`CREATE INDEX "ix_discrepancies_carrier_start_id" ON "discrepancies" ("carrier_id", "start_time", "id") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_discrepancies_carrier_start_id"`);
        await queryRunner.query(`CREATE INDEX "ix_discrepancies_carrier_start" ON "discrepancies" ("carrier_id", "start_time") `);
    }

}
