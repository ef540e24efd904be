import { Migration } from '@mikro-orm/migrations';

export class Migration20261204163000_waba_webhooks_health extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "webhooks_status" as enum ('SUBSCRIBED', 'MISSING', 'OVERRIDDEN');`);
    this.addSql(
      `alter table "wabas" add column "webhooks_status" "webhooks_status" null, add column "webhooks_override_uri" varchar(512) null, add column "webhooks_checked_at" timestamptz null, add column "webhooks_next_check_at" timestamptz null;`,
    );
    this.addSql(`create index "wabas_webhooks_next_check_at_index" on "wabas" ("webhooks_next_check_at");`);
    // The subscribed WABAs get their first check spread over the default interval (6 h), so that the rounds
    // after this release do not check them all at once.
    this.addSql(
      `update "wabas" set "webhooks_next_check_at" = now() + random() * interval '6 hours' where "subscription_status" = 'SUBSCRIBED';`,
    );
    this.addSql(`alter type "audit_event_type" add value if not exists 'WEBHOOKS_CHANGED';`);
    this.addSql(`alter type "audit_event_type" add value if not exists 'WEBHOOKS_RESUBSCRIBED';`);
  }

  override async down(): Promise<void> {
    // PostgreSQL cannot drop a value of an enum type: the two audit types stay (unused by older code).
    this.addSql(`drop index if exists "wabas_webhooks_next_check_at_index";`);
    this.addSql(
      `alter table "wabas" drop column "webhooks_status", drop column "webhooks_override_uri", drop column "webhooks_checked_at", drop column "webhooks_next_check_at";`,
    );
    this.addSql(`drop type if exists "webhooks_status";`);
  }
}
