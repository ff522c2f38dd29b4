import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * /metrics reported the stored discrepancies per carrier, kind and review status with a count over
 * the whole table at every scrape: 0.54 s at 509,000 rows, and the table only grows. The counts now
 * come from discrepancy_count_deltas, a few rows per statement that changed discrepancies, written by
 * statement-level triggers from the statement's transition tables (whatever wrote: a reconciliation,
 * a review, a future API). The table is only ever inserted into by writers, so two reconciliations or a
 * review beside a reconciliation never wait on one counter row or fail to serialise on it; the reader
 * sums it and folds it together now and then (ObservabilityRepository.discrepancyCounts).
 */
export class DiscrepancyCounts1795420500000 implements MigrationInterface {
    name = 'DiscrepancyCounts1795420500000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "discrepancy_count_deltas" ("carrier_id" text NOT NULL, "kind" text NOT NULL, "status" text NOT NULL, "delta" bigint NOT NULL)`);
        await queryRunner.query(`CREATE FUNCTION discrepancy_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            INSERT INTO discrepancy_count_deltas SELECT carrier_id, kind, status, count(*) FROM new_rows GROUP BY 1, 2, 3;
            RETURN NULL;
          END $$`);
        await queryRunner.query(`CREATE FUNCTION discrepancy_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            INSERT INTO discrepancy_count_deltas SELECT carrier_id, kind, status, -count(*) FROM old_rows GROUP BY 1, 2, 3;
            RETURN NULL;
          END $$`);
        // An update that moves no row to another (carrier, kind, status) writes nothing.
        await queryRunner.query(`CREATE FUNCTION discrepancy_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            INSERT INTO discrepancy_count_deltas
              SELECT carrier_id, kind, status, sum(d) FROM (
                SELECT carrier_id, kind, status, 1 AS d FROM new_rows UNION ALL SELECT carrier_id, kind, status, -1 FROM old_rows
              ) x GROUP BY 1, 2, 3 HAVING sum(d) <> 0;
            RETURN NULL;
          END $$`);
        await queryRunner.query(`CREATE FUNCTION discrepancy_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            DELETE FROM discrepancy_count_deltas;
            RETURN NULL;
          END $$`);
        await queryRunner.query(`CREATE TRIGGER discrepancy_counts_inserted AFTER INSERT ON discrepancies REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION discrepancy_counts_inserted()`);
        await queryRunner.query(`CREATE TRIGGER discrepancy_counts_deleted AFTER DELETE ON discrepancies REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION discrepancy_counts_deleted()`);
        await queryRunner.query(`CREATE TRIGGER discrepancy_counts_updated AFTER UPDATE ON discrepancies REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION discrepancy_counts_updated()`);
        await queryRunner.query(`CREATE TRIGGER discrepancy_counts_truncated AFTER TRUNCATE ON discrepancies
            FOR EACH STATEMENT EXECUTE FUNCTION discrepancy_counts_truncated()`);
        // What is stored already, counted once (the triggers exist: a writer after this is counted by them).
        await queryRunner.query(`INSERT INTO discrepancy_count_deltas SELECT carrier_id, kind, status, count(*) FROM discrepancies GROUP BY 1, 2, 3`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const t of ['inserted', 'deleted', 'updated', 'truncated']) {
            await queryRunner.query(`DROP TRIGGER discrepancy_counts_${t} ON discrepancies`);
            await queryRunner.query(`DROP FUNCTION discrepancy_counts_${t}()`);
        }
        await queryRunner.query(`DROP TABLE "discrepancy_count_deltas"`);
    }

}
