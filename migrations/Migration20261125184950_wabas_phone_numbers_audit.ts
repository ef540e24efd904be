import { Migration } from '@mikro-orm/migrations';

export class Migration20261125184950_wabas_phone_numbers_audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create type "audit_event_type" as enum ('WABA_CONNECTED', 'PHONE_NUMBER_ADDED', 'WABA_STATUS_CHANGED', 'MM_LITE_STATUS_CHANGED', 'SENDING_CHANNEL_CHANGED', 'PHONE_NUMBER_UPDATED', 'CONNECTION_CHANGED', 'PHONE_NUMBER_REGISTERED');`,
    );
    this.addSql(`create type "change_source" as enum ('API', 'WEBHOOK', 'SYNC');`);
    this.addSql(`create type "waba_status" as enum ('ACTIVE', 'DISABLED');`);
    this.addSql(`create type "mm_lite_status" as enum ('ONBOARDED', 'NOT_ONBOARDED');`);
    this.addSql(`create type "waba_ban_state" as enum ('DISABLE', 'SCHEDULE_FOR_DISABLE', 'REINSTATE');`);
    this.addSql(`create type "waba_connection" as enum ('CONNECTED', 'REAUTH_REQUIRED');`);
    this.addSql(`create type "webhook_subscription_status" as enum ('PENDING', 'SUBSCRIBED', 'FAILED');`);
    this.addSql(`create type "sending_channel" as enum ('CLOUD_API', 'MM_LITE');`);
    this.addSql(`create type "registration_status" as enum ('PENDING', 'REGISTERED', 'FAILED');`);
    this.addSql(
      `create table "audit_events" ("id" uuid not null, "organization_id" uuid not null, "type" "audit_event_type" not null, "waba_id" varchar(32) null, "phone_number_id" varchar(32) null, "source" "change_source" not null, "actor" varchar(128) not null, "before" jsonb null, "after" jsonb null, "occurred_at" timestamptz not null, constraint "audit_events_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "audit_events_organization_id_phone_number_id_occurred_at_index" on "audit_events" ("organization_id", "phone_number_id", "occurred_at");`,
    );
    this.addSql(
      `create index "audit_events_organization_id_waba_id_occurred_at_index" on "audit_events" ("organization_id", "waba_id", "occurred_at");`,
    );
    this.addSql(
      `create index "audit_events_organization_id_occurred_at_id_index" on "audit_events" ("organization_id", "occurred_at", "id");`,
    );

    this.addSql(
      `create table "wabas" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "waba_id" varchar(32) not null, "name" varchar(512) null, "status" "waba_status" not null default 'ACTIVE', "status_reason" varchar(64) null, "mm_lite_status" "mm_lite_status" null, "meta_status" varchar(64) null, "currency" varchar(8) null, "timezone_id" varchar(16) null, "country" varchar(8) null, "account_review_status" varchar(32) null, "business_verification_status" varchar(64) null, "owner_business_id" varchar(32) null, "owner_business_name" varchar(512) null, "health" jsonb null, "health_waba_can_send" varchar(16) null, "ban_state" "waba_ban_state" null, "ban_date" varchar(64) null, "ban_state_at" timestamptz null, "restriction_expires_at" timestamptz null, "restrictions" jsonb null, "disconnected_reason" varchar(32) null, "disconnected_at" timestamptz null, "mm_lite_meta_status" varchar(64) null, "mm_lite_terms_status" varchar(32) null, "mm_lite_setup_started_at" timestamptz null, "mm_lite_last_checked_at" timestamptz null, "connection" "waba_connection" not null default 'CONNECTED', "access_token_sealed" text not null, "access_token_fingerprint" varchar(64) not null, "access_token_expires_at" timestamptz null, "subscription_status" "webhook_subscription_status" not null default 'PENDING', "subscription_error" jsonb null, "next_subscription_attempt_at" timestamptz null, "subscription_attempts" int not null default 0, "last_signup_code_hash" varchar(64) null, "last_synced_at" timestamptz null, "next_sync_at" timestamptz not null default now(), "sync_failure_count" int not null default 0, "last_sync_error_code" varchar(32) null, "sync_claimed_by" varchar(64) null, "sync_claim_expires_at" timestamptz null, constraint "wabas_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "wabas" add constraint "wabas_waba_id_unique" unique ("waba_id");`);
    this.addSql(`create index "wabas_next_sync_at_index" on "wabas" ("next_sync_at");`);
    this.addSql(
      `create index "wabas_organization_id_mm_lite_status_waba_id_index" on "wabas" ("organization_id", "mm_lite_status", "waba_id");`,
    );
    this.addSql(
      `create index "wabas_organization_id_status_waba_id_index" on "wabas" ("organization_id", "status", "waba_id");`,
    );
    this.addSql(`create index "wabas_organization_id_waba_id_index" on "wabas" ("organization_id", "waba_id");`);

    this.addSql(
      `create table "phone_numbers" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "waba_id" uuid not null, "phone_number_id" varchar(32) not null, "display_phone_number" varchar(64) null, "display_phone_digits" varchar(32) null, "verified_name" varchar(512) null, "quality_rating" varchar(32) null, "status" varchar(32) null, "name_status" varchar(32) null, "code_verification_status" varchar(32) null, "platform_type" varchar(32) null, "throughput_level" varchar(32) null, "messaging_limit_tier" varchar(32) null, "health" jsonb null, "last_webhook_at" timestamptz null, "sending_channel" "sending_channel" not null default 'CLOUD_API', "registration_status" "registration_status" not null default 'PENDING', "registration_error_code" int null, "registration_error_message" varchar(1024) null, "registration_attempts" int not null default 0, "next_registration_attempt_at" timestamptz null, "pin_sealed" text not null, "last_synced_at" timestamptz null, constraint "phone_numbers_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "phone_numbers" add constraint "phone_numbers_phone_number_id_unique" unique ("phone_number_id");`,
    );
    this.addSql(`create index "phone_numbers_display_phone_digits_index" on "phone_numbers" ("display_phone_digits");`);
    this.addSql(
      `create index "phone_numbers_registration_status_next_registratio_1356e_index" on "phone_numbers" ("registration_status", "next_registration_attempt_at");`,
    );
    this.addSql(
      `create index "phone_numbers_waba_id_phone_number_id_index" on "phone_numbers" ("waba_id", "phone_number_id");`,
    );
    this.addSql(
      `create index "phone_numbers_organization_id_phone_number_id_index" on "phone_numbers" ("organization_id", "phone_number_id");`,
    );

    this.addSql(
      `alter table "wabas" add constraint "wabas_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "phone_numbers" add constraint "phone_numbers_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "phone_numbers" add constraint "phone_numbers_waba_id_foreign" foreign key ("waba_id") references "wabas" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "phone_numbers" drop constraint "phone_numbers_waba_id_foreign";`);

    this.addSql(`drop table if exists "audit_events" cascade;`);

    this.addSql(`drop table if exists "wabas" cascade;`);

    this.addSql(`drop table if exists "phone_numbers" cascade;`);

    this.addSql(`drop type "audit_event_type";`);
    this.addSql(`drop type "change_source";`);
    this.addSql(`drop type "waba_status";`);
    this.addSql(`drop type "mm_lite_status";`);
    this.addSql(`drop type "waba_ban_state";`);
    this.addSql(`drop type "waba_connection";`);
    this.addSql(`drop type "webhook_subscription_status";`);
    this.addSql(`drop type "sending_channel";`);
    this.addSql(`drop type "registration_status";`);
  }
}
