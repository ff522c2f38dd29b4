import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * microsoft_call_rows keyed by (tenant_id, start_day, id): start_day is the UTC day of start_time,
 * generated (`-infinity` for a row without a start). Keyed by (tenant_id, id) alone, Graph's random
 * GUIDs put every insert on a random leaf of an index that holds every day stored: once it outgrew the
 * buffers, a day's import got about a second slower with each day of history (14.1 s for the first of
 * ten 990,031-row days, 23.6 s for the tenth; in psql, COPY of a day after nine: 18.8 s against 8.5 s
 * with the day in the key). With the day second, a day's inserts stay within that day's part of the
 * index, whatever the history. A re-pulled row still replaces the stored one: a call's start does not
 * move to another day.
 *
 * microsoft_raw_rows_of(tenant, ids, days): the evidence of rows named by id and start day, found by
 * the key. The two-argument form, by id alone, no longer has a key to probe: as it was, PostgreSQL
 * scanned the tenant's part of the key once per id (31k ids did not end in ten minutes on ten stored
 * days); it now reads the tenant's rows once and hash-joins the ids (5.0 s for those 31k ids, 3.2 s for
 * one, on ten 990,031-row days). `|| ''` keeps the join off the key.
 *
 * On a database that holds rows this rewrites the table and builds the key with it locked: 38.8 s and
 * 11.4 s for 10M rows (4.8 GB) on the development machine.
 *
 * TypeORM keeps a generated column's expression in typeorm_metadata (created before migrations run
 * when an entity has one); the row names the database it was written in.
 */
export class MicrosoftRowsKeyedByDay1795421000000 implements MigrationInterface {
    name = 'MicrosoftRowsKeyedByDay1795421000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const day = `COALESCE(((start_time AT TIME ZONE 'UTC'))::date, '-infinity'::date)`;
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" ADD "start_day" date GENERATED ALWAYS AS (${day}) STORED NOT NULL`);
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" DROP CONSTRAINT "PK_cbccda693ec15565aa007c675b6"`);
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" ADD CONSTRAINT "PK_158ab2cffb8cdec1b4daeb3cc75" PRIMARY KEY ("tenant_id", "start_day", "id")`);
        await queryRunner.query(`INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", "value") VALUES (current_database(), current_schema(), $1, $2, $3, $4)`,
            ["microsoft_call_rows", "GENERATED_COLUMN", "start_day", day]);
        await queryRunner.query(`CREATE FUNCTION microsoft_raw_rows_of(tenant uuid, ids text[], days date[])
            RETURNS TABLE (id text, start_day date, raw_batch bigint, raw_line integer, raw json) LANGUAGE sql STABLE AS $$
              SELECT u.id, u.start_day, g.raw_batch, u.raw_line, (b.lines[u.raw_line])::json
              FROM (SELECT r.raw_batch, array_agg(r.id) AS ids, array_agg(r.start_day) AS days, array_agg(r.raw_line) AS raw_lines
                    FROM (SELECT DISTINCT * FROM unnest(ids, days)) AS k(id, start_day)
                    JOIN microsoft_call_rows r ON r.tenant_id = tenant AND r.start_day = k.start_day AND r.id = k.id
                    GROUP BY r.raw_batch) AS g
              CROSS JOIN LATERAL (SELECT string_to_array(w.lines, E'\\n') AS lines FROM microsoft_raw_batches w WHERE w.id = g.raw_batch OFFSET 0) AS b
              CROSS JOIN LATERAL unnest(g.ids, g.days, g.raw_lines) AS u(id, start_day, raw_line)
            $$`);
        await queryRunner.query(rawRowsOfById(`r.tenant_id = tenant AND (r.id || '') IN (SELECT DISTINCT unnest(ids))`));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(rawRowsOfById(`r.tenant_id = tenant AND r.id = ANY (ids)`));
        await queryRunner.query(`DROP FUNCTION microsoft_raw_rows_of(uuid, text[], date[])`);
        // not by database name: a copy of the database (CREATE DATABASE … TEMPLATE) keeps the original's
        await queryRunner.query(`DELETE FROM "typeorm_metadata" WHERE "type" = $1 AND "name" = $2 AND "schema" = current_schema() AND "table" = $3`,
            ["GENERATED_COLUMN", "start_day", "microsoft_call_rows"]);
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" DROP CONSTRAINT "PK_158ab2cffb8cdec1b4daeb3cc75"`);
        // fails, naming the key, if an id is now stored on two days
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" ADD CONSTRAINT "PK_cbccda693ec15565aa007c675b6" PRIMARY KEY ("tenant_id", "id")`);
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" DROP COLUMN "start_day"`);
    }

}

/** microsoft_raw_rows_of(tenant, ids) as migration MicrosoftRawRowsOf wrote it, finding rows by `rows`. */
const rawRowsOfById = (rows: string) => `CREATE OR REPLACE FUNCTION microsoft_raw_rows_of(tenant uuid, ids text[])
            RETURNS TABLE (id text, raw_batch bigint, raw_line integer, raw json) LANGUAGE sql STABLE AS $$
              SELECT u.id, g.raw_batch, u.raw_line, (b.lines[u.raw_line])::json
              FROM (SELECT r.raw_batch, array_agg(r.id) AS ids, array_agg(r.raw_line) AS raw_lines
                    FROM microsoft_call_rows r WHERE ${rows} GROUP BY r.raw_batch) AS g
              CROSS JOIN LATERAL (SELECT string_to_array(w.lines, E'\\n') AS lines FROM microsoft_raw_batches w WHERE w.id = g.raw_batch OFFSET 0) AS b
              CROSS JOIN LATERAL unnest(g.ids, g.raw_lines) AS u(id, raw_line)
            $$`;
