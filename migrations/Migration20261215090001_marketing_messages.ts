import { Migration } from '@mikro-orm/migrations';

/**
 * `marketing_messages`: every marketing send, recorded before its Graph call and updated by Meta's answer and
 * status webhooks; `marketing_recipient_holds`: recipients a WABA's sends are refused for (opted out, paused).
 * Indexes: the message ID (unique, NULLs allowed: a send whose answer was lost has none yet) for status
 * webhooks; a number's list newest first, with and without a status filter (the first also serves a number's
 * 24 h counts); a WABA's 24 h counts; retention by `created_at`; and the sends still without a message ID by
 * number and recipient, which a status webhook of a timed-out send is matched against.
 */
export class Migration20261215090001_marketing_messages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "marketing_recipient_type" as enum ('PHONE_NUMBER', 'BSUID');`);
    this.addSql(
      `create type "marketing_message_status" as enum ('UNKNOWN', 'ACCEPTED', 'SENT', 'DELIVERED', 'READ', 'FAILED');`,
    );
    this.addSql(`create type "marketing_hold_kind" as enum ('OPTED_OUT', 'PAUSED');`);
    this.addSql(
      `create table "marketing_messages" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "waba_id" varchar(32) not null, "phone_number_id" varchar(32) not null, "channel" "sending_channel" not null, "template_name" varchar(512) not null, "template_language" varchar(32) not null, "template_category" varchar(32) null, "recipient_type" "marketing_recipient_type" not null, "recipient" varchar(160) not null, "recipient_country_calling_code" varchar(4) null, "recipient_region" varchar(2) null, "message_id" varchar(128) null, "status" "marketing_message_status" not null, "status_at" timestamptz null, "meta_sent_at" timestamptz null, "delivered_at" timestamptz null, "read_at" timestamptz null, "failed_at" timestamptz null, "failure_code" int null, "failure_title" varchar(512) null, "failure_details" text null, "pricing_category" varchar(32) null, "sent_by" varchar(128) not null, constraint "marketing_messages_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "marketing_messages" add constraint "marketing_messages_message_id_unique" unique ("message_id");`,
    );
    this.addSql(
      `create index "marketing_messages_unanswered_index" on "marketing_messages" ("phone_number_id", "recipient", "created_at") where "message_id" is null;`,
    );
    this.addSql(`create index "marketing_messages_created_index" on "marketing_messages" ("created_at");`);
    this.addSql(
      `create index "marketing_messages_waba_created_index" on "marketing_messages" ("waba_id", "created_at");`,
    );
    this.addSql(
      `create index "marketing_messages_number_status_index" on "marketing_messages" ("organization_id", "phone_number_id", "status", "created_at" desc, "id" desc);`,
    );
    this.addSql(
      `create index "marketing_messages_number_list_index" on "marketing_messages" ("organization_id", "phone_number_id", "created_at" desc, "id" desc);`,
    );

    this.addSql(
      `create table "marketing_recipient_holds" ("waba_id" varchar(32) not null, "recipient" varchar(160) not null, "kind" "marketing_hold_kind" not null, "organization_id" uuid not null, "until" timestamptz null, "reason_code" int null, "message_id" varchar(128) null, "observed_at" timestamptz not null, "cleared_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "marketing_recipient_holds_pkey" primary key ("waba_id", "recipient", "kind"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "marketing_recipient_holds" cascade;`);
    this.addSql(`drop table if exists "marketing_messages" cascade;`);
    this.addSql(`drop type "marketing_hold_kind";`);
    this.addSql(`drop type "marketing_message_status";`);
    this.addSql(`drop type "marketing_recipient_type";`);
  }
}
