import { Migration } from '@mikro-orm/migrations';

/**
 * Account alerts (`account_alerts` webhooks): `waba_alerts`, one row per WABA, entity and alert type (Meta
 * gives alerts no ID), and `wabas.critical_alert`, the type of the WABA's newest ACTIVE CRITICAL alert, so
 * that the list shows the warning from its own row. Both are written by the wabas module, together.
 */
export class Migration20261204163715_waba_alerts extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "waba_alerts" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "waba_id" uuid not null, "entity_type" varchar(32) not null, "entity_id" varchar(64) not null, "alert_type" varchar(64) not null, "severity" varchar(32) not null, "status" varchar(32) not null, "description" varchar(2048) null, "occurred_at" timestamptz not null, "received_at" timestamptz not null, constraint "waba_alerts_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "waba_alerts" add constraint "waba_alerts_alert_unique" unique ("waba_id", "entity_type", "entity_id", "alert_type");`,
    );
    this.addSql(
      `alter table "waba_alerts" add constraint "waba_alerts_waba_id_foreign" foreign key ("waba_id") references "wabas" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`alter table "wabas" add column "critical_alert" varchar(64) null;`);

    this.addSql(`alter type "audit_event_type" add value if not exists 'ACCOUNT_ALERT_CHANGED';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "waba_alerts" cascade;`);
    this.addSql(`alter table "wabas" drop column "critical_alert";`);
  }
}
