import { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795406120413 implements MigrationInterface {
    name = 'Initial1795406120413'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "carriers" ("id" text NOT NULL, "name" text NOT NULL, "operator_names" text array NOT NULL, "duration_tolerance_seconds" numeric(12,3) NOT NULL DEFAULT '1', "charge_tolerance" numeric(18,6) NOT NULL DEFAULT '0', "match_window_seconds" integer NOT NULL DEFAULT '5', "call_id_window_seconds" integer NOT NULL DEFAULT '86400', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fe886e72b3d9f67da3ce70f4368" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "tenants" ("carrier_id" text NOT NULL, "tenant_id" uuid NOT NULL, "name" text, "cloud" text NOT NULL DEFAULT 'global', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_34d6228871963e84c2edec64eef" PRIMARY KEY ("carrier_id", "tenant_id"))`);
        await queryRunner.query(`CREATE TABLE "carrier_files" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "carrier_id" text NOT NULL, "sha256" character(64) NOT NULL, "file_name" text NOT NULL, "profile_name" text, "status" text NOT NULL DEFAULT 'loaded', "rows_read" integer NOT NULL, "accepted" integer NOT NULL, "rejected" integer NOT NULL, "skipped" integer NOT NULL, "ingested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_carrier_files_carrier_sha256" UNIQUE ("carrier_id", "sha256"), CONSTRAINT "PK_03f5fa12ad4a738eff5ffee8498" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_carrier_files_carrier_ingested" ON "carrier_files" ("carrier_id", "ingested_at") `);
        await queryRunner.query(`CREATE TABLE "carrier_cdrs" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "carrier_id" text NOT NULL, "file_id" uuid NOT NULL, "line" integer NOT NULL, "record_id" text, "call_id" text, "tenant_id" uuid, "direction" text, "start_time" TIMESTAMP WITH TIME ZONE NOT NULL, "end_time" TIMESTAMP WITH TIME ZONE, "duration_seconds" numeric(12,3) NOT NULL, "billable_seconds" integer, "caller_number" text NOT NULL, "callee_number" text NOT NULL, "charge" numeric(18,6), "connection_charge" numeric(18,6), "currency" character(3), CONSTRAINT "PK_f6951a5eb3db91f8cbbbe1d0847" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_carrier_cdrs_carrier_call" ON "carrier_cdrs" ("carrier_id", "call_id") `);
        await queryRunner.query(`CREATE INDEX "ix_carrier_cdrs_carrier_start" ON "carrier_cdrs" ("carrier_id", "start_time") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_carrier_cdrs_carrier_record" ON "carrier_cdrs" ("carrier_id", "record_id") WHERE record_id IS NOT NULL`);
        await queryRunner.query(`CREATE TABLE "carrier_profiles" ("carrier_id" text NOT NULL, "name" text NOT NULL, "definition" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_dbd881409bc4a5149b6f1032459" PRIMARY KEY ("carrier_id", "name"))`);
        await queryRunner.query(`CREATE TABLE "carrier_file_errors" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "carrier_id" text NOT NULL, "file_id" uuid NOT NULL, "line" integer NOT NULL, "column" text NOT NULL, "reason" text NOT NULL, CONSTRAINT "PK_b247d201907469581c10bc01624" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_carrier_file_errors_file_line" ON "carrier_file_errors" ("file_id", "line") `);
        await queryRunner.query(`CREATE TABLE "microsoft_call_rows" ("tenant_id" uuid NOT NULL, "id" text NOT NULL, "source" text NOT NULL, "call_id" text, "user_id" text, "user_principal_name" text, "user_display_name" text, "start_time" TIMESTAMP WITH TIME ZONE, "end_time" TIMESTAMP WITH TIME ZONE, "duration_seconds" integer, "charge" numeric, "connection_charge" numeric, "currency" text, "call_type" text, "caller_number" text, "callee_number" text, "destination_context" text, "destination_name" text, "conference_id" text, "license_capability" text, "inventory_type" text, "operator" text, "call_duration_source" text, "tenant_country_code" text, "usage_country_code" text, "successful_call" boolean, "final_sip_code" integer, "raw" jsonb NOT NULL, "stored_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cbccda693ec15565aa007c675b6" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE INDEX "ix_microsoft_call_rows_call" ON "microsoft_call_rows" ("call_id") `);
        await queryRunner.query(`CREATE INDEX "ix_microsoft_call_rows_tenant_start" ON "microsoft_call_rows" ("tenant_id", "start_time") `);
        await queryRunner.query(`ALTER TABLE "tenants" ADD CONSTRAINT "fk_tenants_carrier" FOREIGN KEY ("carrier_id") REFERENCES "carriers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "carrier_files" ADD CONSTRAINT "fk_carrier_files_carrier" FOREIGN KEY ("carrier_id") REFERENCES "carriers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "carrier_cdrs" ADD CONSTRAINT "fk_carrier_cdrs_file" FOREIGN KEY ("file_id") REFERENCES "carrier_files"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "carrier_profiles" ADD CONSTRAINT "fk_carrier_profiles_carrier" FOREIGN KEY ("carrier_id") REFERENCES "carriers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "carrier_file_errors" ADD CONSTRAINT "fk_carrier_file_errors_file" FOREIGN KEY ("file_id") REFERENCES "carrier_files"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "carrier_file_errors" DROP CONSTRAINT "fk_carrier_file_errors_file"`);
        await queryRunner.query(`ALTER TABLE "carrier_profiles" DROP CONSTRAINT "fk_carrier_profiles_carrier"`);
        await queryRunner.query(`ALTER TABLE "carrier_cdrs" DROP CONSTRAINT "fk_carrier_cdrs_file"`);
        await queryRunner.query(`ALTER TABLE "carrier_files" DROP CONSTRAINT "fk_carrier_files_carrier"`);
        await queryRunner.query(`ALTER TABLE "tenants" DROP CONSTRAINT "fk_tenants_carrier"`);
        await queryRunner.query(`DROP INDEX "public"."ix_microsoft_call_rows_tenant_start"`);
        await queryRunner.query(`DROP INDEX "public"."ix_microsoft_call_rows_call"`);
        await queryRunner.query(`DROP TABLE "microsoft_call_rows"`);
        await queryRunner.query(`DROP INDEX "public"."ix_carrier_file_errors_file_line"`);
        await queryRunner.query(`DROP TABLE "carrier_file_errors"`);
        await queryRunner.query(`DROP TABLE "carrier_profiles"`);
        await queryRunner.query(`DROP INDEX "public"."uq_carrier_cdrs_carrier_record"`);
        await queryRunner.query(`DROP INDEX "public"."ix_carrier_cdrs_carrier_start"`);
        await queryRunner.query(`DROP INDEX "public"."ix_carrier_cdrs_carrier_call"`);
        await queryRunner.query(`DROP TABLE "carrier_cdrs"`);
        await queryRunner.query(`DROP INDEX "public"."ix_carrier_files_carrier_ingested"`);
        await queryRunner.query(`DROP TABLE "carrier_files"`);
        await queryRunner.query(`DROP TABLE "tenants"`);
        await queryRunner.query(`DROP TABLE "carriers"`);
    }

}
