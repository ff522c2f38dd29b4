import { MigrationInterface, QueryRunner } from "typeorm";

export class Batch1795407032560 implements MigrationInterface {
    name = 'Batch1795407032560'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "batch_day_state" ("carrier_id" text NOT NULL, "day" date NOT NULL, "status" text NOT NULL, "fingerprint" text, "reconcile_run_id" uuid, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_58e9be92863ba6903ad42104ef9" PRIMARY KEY ("carrier_id", "day"))`);
        await queryRunner.query(`CREATE TABLE "batch_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "trigger" text NOT NULL, "run_date" date NOT NULL, "carrier_id" text, "status" text NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, "runner" text NOT NULL, "summary" jsonb, "error" text, CONSTRAINT "PK_cb9a16f02db4f3234bfaa55f73a" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_batch_runs_started" ON "batch_runs" ("started_at") `);
        await queryRunner.query(`CREATE TABLE "batch_steps" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "run_id" uuid NOT NULL, "carrier_id" text NOT NULL, "day" date NOT NULL, "step" text NOT NULL, "status" text NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "detail" jsonb, "error" text, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_10b07caf507cf0000dc92773234" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_batch_steps_carrier_day" ON "batch_steps" ("carrier_id", "day", "step") `);
        await queryRunner.query(`CREATE INDEX "ix_batch_steps_run" ON "batch_steps" ("run_id") `);
        await queryRunner.query(`ALTER TABLE "batch_steps" ADD CONSTRAINT "fk_batch_steps_run" FOREIGN KEY ("run_id") REFERENCES "batch_runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "batch_steps" DROP CONSTRAINT "fk_batch_steps_run"`);
        await queryRunner.query(`DROP INDEX "public"."ix_batch_steps_run"`);
        await queryRunner.query(`DROP INDEX "public"."ix_batch_steps_carrier_day"`);
        await queryRunner.query(`DROP TABLE "batch_steps"`);
        await queryRunner.query(`DROP INDEX "public"."ix_batch_runs_started"`);
        await queryRunner.query(`DROP TABLE "batch_runs"`);
        await queryRunner.query(`DROP TABLE "batch_day_state"`);
    }

}
