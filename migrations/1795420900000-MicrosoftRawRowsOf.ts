import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * microsoft_raw_rows_of(tenant, ids): the evidence of many Microsoft rows at once, each batch read
 * once. The view microsoft_raw_rows joined to thousands of rows is planned as a nested loop that
 * splits a whole batch (about 4000 lines) again for every row; this groups the rows by batch first,
 * splits each batch once (OFFSET 0 keeps PostgreSQL from pulling the split up into every output row),
 * then picks each row's line. Rows of another tenant and ids not stored are left out.
 */
export class MicrosoftRawRowsOf1795420900000 implements MigrationInterface {
    name = 'MicrosoftRawRowsOf1795420900000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE FUNCTION microsoft_raw_rows_of(tenant uuid, ids text[])
            RETURNS TABLE (id text, raw_batch bigint, raw_line integer, raw json) LANGUAGE sql STABLE AS $$
              SELECT u.id, g.raw_batch, u.raw_line, (b.lines[u.raw_line])::json
              FROM (SELECT r.raw_batch, array_agg(r.id) AS ids, array_agg(r.raw_line) AS raw_lines
                    FROM microsoft_call_rows r WHERE r.tenant_id = tenant AND r.id = ANY (ids) GROUP BY r.raw_batch) AS g
              CROSS JOIN LATERAL (SELECT string_to_array(w.lines, E'\\n') AS lines FROM microsoft_raw_batches w WHERE w.id = g.raw_batch OFFSET 0) AS b
              CROSS JOIN LATERAL unnest(g.ids, g.raw_lines) AS u(id, raw_line)
            $$`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP FUNCTION microsoft_raw_rows_of(uuid, text[])`);
    }

}
