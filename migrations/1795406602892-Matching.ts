import { MigrationInterface, QueryRunner } from "typeorm";

export class Matching1795406602892 implements MigrationInterface {
    name = 'Matching1795406602892'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "reconciliation_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "carrier_id" text NOT NULL, "window_from" TIMESTAMP WITH TIME ZONE NOT NULL, "window_to" TIMESTAMP WITH TIME ZONE NOT NULL, "rule_set_version" integer NOT NULL, "settings" jsonb NOT NULL, "inputs" jsonb NOT NULL DEFAULT '{}'::jsonb, "result" jsonb NOT NULL DEFAULT '{}'::jsonb, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_4edbdb165c9e754997036a4176a" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_reconciliation_runs_carrier_window" ON "reconciliation_runs" ("carrier_id", "window_from") `);
        await queryRunner.query(`CREATE TABLE "reconciliation_daily_controls" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "run_id" uuid NOT NULL, "carrier_id" text NOT NULL, "day" date NOT NULL, "tenant_id" uuid, "carrier_has_data" boolean NOT NULL, "microsoft_calls" integer NOT NULL, "microsoft_seconds" numeric NOT NULL, "microsoft_money" numeric, "carrier_calls" integer NOT NULL, "carrier_seconds" numeric NOT NULL, "carrier_money" numeric, "currency" text, "matched_calls" integer NOT NULL, CONSTRAINT "PK_737660f8d77a2712184a44eb753" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_reconciliation_daily_controls_carrier_day" ON "reconciliation_daily_controls" ("carrier_id", "day") `);
        await queryRunner.query(`CREATE INDEX "ix_reconciliation_daily_controls_run" ON "reconciliation_daily_controls" ("run_id", "day", "tenant_id") `);
        await queryRunner.query(`CREATE TABLE "discrepancies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "carrier_id" text NOT NULL, "natural_key" text NOT NULL, "kind" text NOT NULL, "tenant_id" uuid, "call_id" text, "microsoft_tenant_id" uuid, "microsoft_row_id" text, "carrier_cdr_id" bigint, "carrier_record_ref" text, "start_time" TIMESTAMP WITH TIME ZONE NOT NULL, "microsoft_duration" numeric, "carrier_duration" numeric, "duration_delta" numeric NOT NULL, "microsoft_total" numeric, "microsoft_currency" text, "carrier_total" numeric, "carrier_currency" text, "money_delta" numeric, "match_method" text, "status" text NOT NULL DEFAULT 'OPEN', "run_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_discrepancies_carrier_natural_key" UNIQUE ("carrier_id", "natural_key"), CONSTRAINT "PK_005b9e1e000e07fa32429ac4aa1" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_discrepancies_carrier_start" ON "discrepancies" ("carrier_id", "start_time") `);
        await queryRunner.query(`CREATE TABLE "discrepancy_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "discrepancy_id" uuid NOT NULL, "event" text NOT NULL, "from_status" text, "to_status" text, "note" text, "actor" text, "run_id" uuid, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9892caf49397dcda8edeeccd77b" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_discrepancy_events_discrepancy" ON "discrepancy_events" ("discrepancy_id", "id") `);
        await queryRunner.query(`ALTER TABLE "reconciliation_runs" ADD CONSTRAINT "fk_reconciliation_runs_carrier" FOREIGN KEY ("carrier_id") REFERENCES "carriers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "reconciliation_daily_controls" ADD CONSTRAINT "fk_reconciliation_daily_controls_run" FOREIGN KEY ("run_id") REFERENCES "reconciliation_runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "discrepancy_events" ADD CONSTRAINT "fk_discrepancy_events_discrepancy" FOREIGN KEY ("discrepancy_id") REFERENCES "discrepancies"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "discrepancy_events" DROP CONSTRAINT "fk_discrepancy_events_discrepancy"`);
        await queryRunner.query(`ALTER TABLE "reconciliation_daily_controls" DROP CONSTRAINT "fk_reconciliation_daily_controls_run"`);
        await queryRunner.query(`ALTER TABLE "reconciliation_runs" DROP CONSTRAINT "fk_reconciliation_runs_carrier"`);
        await queryRunner.query(`DROP INDEX "public"."ix_discrepancy_events_discrepancy"`);
        await queryRunner.query(`DROP TABLE "discrepancy_events"`);
        await queryRunner.query(`DROP INDEX "public"."ix_discrepancies_carrier_start"`);
        await queryRunner.query(`DROP TABLE "discrepancies"`);
        await queryRunner.query(`DROP INDEX "public"."ix_reconciliation_daily_controls_run"`);
        await queryRunner.query(`DROP INDEX "public"."ix_reconciliation_daily_controls_carrier_day"`);
        await queryRunner.query(`DROP TABLE "reconciliation_daily_controls"`);
        await queryRunner.query(`DROP INDEX "public"."ix_reconciliation_runs_carrier_window"`);
        await queryRunner.query(`DROP TABLE "reconciliation_runs"`);
    }

}
