import { MigrationInterface, QueryRunner } from "typeorm";

export class MicrosoftRowsWithoutCallIdIndex1795420200000 implements MigrationInterface {
    name = 'MicrosoftRowsWithoutCallIdIndex1795420200000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_microsoft_call_rows_call"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "ix_microsoft_call_rows_call" ON "microsoft_call_rows" ("call_id") `);
    }

}
