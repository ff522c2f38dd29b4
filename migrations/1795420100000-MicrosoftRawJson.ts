import { MigrationInterface, QueryRunner } from "typeorm";

export class MicrosoftRawJson1795420100000 implements MigrationInterface {
    name = 'MicrosoftRawJson1795420100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // Kept as the text received (checked to be JSON), not re-normalised: cheaper to load than jsonb.
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" ALTER COLUMN "raw" TYPE json USING "raw"::json`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "microsoft_call_rows" ALTER COLUMN "raw" TYPE jsonb USING "raw"::jsonb`);
    }

}
