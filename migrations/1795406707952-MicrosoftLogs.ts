import { MigrationInterface, QueryRunner } from "typeorm";

export class MicrosoftLogs1795406707952 implements MigrationInterface {
    name = 'MicrosoftLogs1795406707952'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "microsoft_dialout_aggregates" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "tenant_id" uuid NOT NULL, "window_from" TIMESTAMP WITH TIME ZONE NOT NULL, "window_to" TIMESTAMP WITH TIME ZONE NOT NULL, "user_id" text, "user_principal_name" text, "user_display_name" text, "usage_location" text, "destination_context" text, "currency" text, "total_calls" integer, "total_call_seconds" integer, "total_call_charge" numeric, "raw" jsonb NOT NULL, "stored_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0d8532a29991bea7c0dd7a4080d" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_microsoft_dialout_aggregates_window" ON "microsoft_dialout_aggregates" ("tenant_id", "window_from", "window_to") `);
        await queryRunner.query(`CREATE TABLE "microsoft_pulls" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "source" text NOT NULL, "window_from" TIMESTAMP WITH TIME ZONE NOT NULL, "window_to" TIMESTAMP WITH TIME ZONE NOT NULL, "status" text NOT NULL DEFAULT 'running', "next_link" text, "pages" integer NOT NULL DEFAULT '0', "rows_received" integer NOT NULL DEFAULT '0', "rows_inserted" integer NOT NULL DEFAULT '0', "rows_updated" integer NOT NULL DEFAULT '0', "rows_unchanged" integer NOT NULL DEFAULT '0', "rows_rejected" integer NOT NULL DEFAULT '0', "problems" jsonb, "error" text, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_ed9f9f16b6d6ad5c536d0b2d3ee" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_microsoft_pulls_tenant_window" ON "microsoft_pulls" ("tenant_id", "source", "window_from", "window_to") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_microsoft_pulls_tenant_window"`);
        await queryRunner.query(`DROP TABLE "microsoft_pulls"`);
        await queryRunner.query(`DROP INDEX "public"."ix_microsoft_dialout_aggregates_window"`);
        await queryRunner.query(`DROP TABLE "microsoft_dialout_aggregates"`);
    }

}
