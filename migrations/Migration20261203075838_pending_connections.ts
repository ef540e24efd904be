import { Migration } from '@mikro-orm/migrations';

export class Migration20261203075838_pending_connections extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "pending_connection_status" as enum ('EXCHANGING', 'PENDING', 'CONNECTED', 'REJECTED');`);
    this.addSql(
      `create table "pending_connections" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "code_hash" varchar(64) not null, "waba_id" varchar(32) not null, "phone_number_id" varchar(32) not null, "business_id" varchar(32) null, "actor" varchar(128) not null, "status" "pending_connection_status" not null, "access_token_sealed" text null, "access_token_expires_at" timestamptz null, "claim_token" varchar(32) null, "claim_expires_at" timestamptz null, "attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_error" jsonb null, "rejection" jsonb null, "expires_at" timestamptz not null, constraint "pending_connections_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "pending_connections_expires_at_index" on "pending_connections" ("expires_at");`);
    this.addSql(
      `create index "pending_connections_status_next_attempt_at_index" on "pending_connections" ("status", "next_attempt_at");`,
    );
    this.addSql(
      `alter table "pending_connections" add constraint "pending_connections_organization_id_code_hash_unique" unique ("organization_id", "code_hash");`,
    );

    this.addSql(
      `alter table "pending_connections" add constraint "pending_connections_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pending_connections" cascade;`);

    this.addSql(`drop type "pending_connection_status";`);
  }
}
