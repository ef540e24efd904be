import { Migration } from '@mikro-orm/migrations';

export class Migration20261125185726_webhook_inbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "webhook_inbox_status" as enum ('PENDING', 'PROCESSING', 'DONE', 'FAILED');`);
    this.addSql(
      `create table "webhook_inbox" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "payload_sha256" varchar(64) not null, "payload" jsonb not null, "status" "webhook_inbox_status" not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz not null default now(), "locked_by" varchar(64) null, "last_error" varchar(1024) null, "processed_at" timestamptz null, "outcome" jsonb null, constraint "webhook_inbox_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "webhook_inbox" add constraint "webhook_inbox_payload_sha256_unique" unique ("payload_sha256");`,
    );
    this.addSql(
      `create index "webhook_inbox_status_next_attempt_at_index" on "webhook_inbox" ("status", "next_attempt_at");`,
    );

    this.addSql(
      `alter type "audit_event_type" add value if not exists 'WABA_UPDATED' after 'PHONE_NUMBER_REGISTERED';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "webhook_inbox" cascade;`);

    this.addSql(`drop type "webhook_inbox_status";`);
  }
}
