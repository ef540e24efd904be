import { Migration } from '@mikro-orm/migrations';

export class Migration20261203085310_webhook_ordering_leases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "webhook_inbox" drop constraint "webhook_inbox_payload_sha256_unique";`);

    this.addSql(
      `alter table "webhook_inbox" add column "ordering_key" varchar(80) null, add column "lease_token" uuid null;`,
    );
    // Existing rows are one delivery each: keyed by the WABA of their first change, as the worker grouped them.
    this.addSql(
      `update "webhook_inbox" set "ordering_key" = coalesce(
         "payload" #>> '{entry,0,changes,0,value,waba_info,waba_id}', "payload" #>> '{entry,0,id}', 'delivery:' || "payload_sha256");`,
    );
    this.addSql(`alter table "webhook_inbox" alter column "ordering_key" set not null;`);
    this.addSql(
      `create index "webhook_inbox_queue_index" on "webhook_inbox" ("ordering_key", "created_at", "id") where "status" in ('PENDING', 'PROCESSING');`,
    );
    this.addSql(
      `alter table "webhook_inbox" add constraint "webhook_inbox_payload_sha256_ordering_key_unique" unique ("payload_sha256", "ordering_key");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "webhook_inbox_queue_index";`);
    this.addSql(`alter table "webhook_inbox" drop constraint "webhook_inbox_payload_sha256_ordering_key_unique";`);
    // Deliveries split by WABA become one row again (the first part), as the old unique constraint needs.
    this.addSql(
      `delete from "webhook_inbox" w using "webhook_inbox" o where o."payload_sha256" = w."payload_sha256" and o."ordering_key" < w."ordering_key";`,
    );
    this.addSql(`alter table "webhook_inbox" drop column "ordering_key", drop column "lease_token";`);

    this.addSql(
      `alter table "webhook_inbox" add constraint "webhook_inbox_payload_sha256_unique" unique ("payload_sha256");`,
    );
  }
}
