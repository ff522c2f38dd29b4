import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * carrier_files.days: the UTC days a file's stored rows start on, and ingest_xact: the ingest's
 * transaction id (pg_current_xact_id, as text). batch_day_state.snapshot: the snapshot (as text) in
 * which the day's inputs were last looked at (fingerprinted, or found without carrier data). A file
 * that snapshot does not see touches the day since: the nightly reconciles such days again (a late or
 * corrected carrier file), not only the night's day and its trailing days. Stored files get their
 * days from their rows; without an ingest_xact they count as seen by every day state.
 * microsoft_pulls.last_xact: the transaction of a pull's last page that inserted or changed rows; an
 * older window pulled by hand (a tenant's backlog once it consented) makes its days candidates too.
 * microsoft_imports: each import-microsoft that stored or changed rows, with its rows' days and its
 * transaction (imports were not recorded at all before).
 */
export class ChangedDays1795420600000 implements MigrationInterface {
    name = 'ChangedDays1795420600000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "carrier_files" ADD "days" date array NOT NULL DEFAULT '{}'`);
        await queryRunner.query(`ALTER TABLE "carrier_files" ADD "ingest_xact" text`);
        await queryRunner.query(`ALTER TABLE "batch_day_state" ADD "snapshot" text`);
        await queryRunner.query(`ALTER TABLE "microsoft_pulls" ADD "last_xact" text`);
        await queryRunner.query(`CREATE TABLE "microsoft_imports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "file_name" text NOT NULL, "format" text NOT NULL, "rows_read" integer NOT NULL, "inserted" integer NOT NULL, "updated" integer NOT NULL, "unchanged" integer NOT NULL, "rejected" integer NOT NULL, "days" date array NOT NULL DEFAULT '{}', "xact" text NOT NULL, "imported_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_microsoft_imports" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_microsoft_imports_tenant" ON "microsoft_imports" ("tenant_id", "imported_at") `);
        await queryRunner.query(`UPDATE carrier_files f SET days = d.days
            FROM (SELECT file_id, array_agg(DISTINCT (start_time AT TIME ZONE 'UTC')::date ORDER BY (start_time AT TIME ZONE 'UTC')::date) AS days
                  FROM carrier_cdrs GROUP BY file_id) AS d
            WHERE d.file_id = f.id`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "microsoft_imports"`);
        await queryRunner.query(`ALTER TABLE "microsoft_pulls" DROP COLUMN "last_xact"`);
        await queryRunner.query(`ALTER TABLE "batch_day_state" DROP COLUMN "snapshot"`);
        await queryRunner.query(`ALTER TABLE "carrier_files" DROP COLUMN "ingest_xact"`);
        await queryRunner.query(`ALTER TABLE "carrier_files" DROP COLUMN "days"`);
    }

}
