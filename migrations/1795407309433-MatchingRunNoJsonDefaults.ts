import { MigrationInterface, QueryRunner } from "typeorm";

export class MatchingRunNoJsonDefaults1795407309433 implements MigrationInterface {
    name = 'MatchingRunNoJsonDefaults1795407309433'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "reconciliation_runs" ALTER COLUMN "inputs" DROP DEFAULT`);
        await queryRunner.query(`ALTER TABLE "reconciliation_runs" ALTER COLUMN "result" DROP DEFAULT`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "reconciliation_runs" ALTER COLUMN "result" SET DEFAULT '{}'`);
        await queryRunner.query(`ALTER TABLE "reconciliation_runs" ALTER COLUMN "inputs" SET DEFAULT '{}'`);
    }

}
