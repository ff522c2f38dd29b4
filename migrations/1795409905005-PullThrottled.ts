import { MigrationInterface, QueryRunner } from "typeorm";

export class PullThrottled1795409905005 implements MigrationInterface {
    name = 'PullThrottled1795409905005'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "microsoft_pulls" ADD "throttled" integer NOT NULL DEFAULT '0'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "microsoft_pulls" DROP COLUMN "throttled"`);
    }

}
