import { Migration } from '@mikro-orm/migrations';

export class Migration20261203085304_webhook_unprocessable extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter type "webhook_inbox_status" add value if not exists 'UNPROCESSABLE' after 'FAILED';`);

    this.addSql(`alter table "webhook_inbox" add column "raw_body" bytea null;`);
    this.addSql(`alter table "webhook_inbox" alter column "payload" drop not null;`);
  }

  override async down(): Promise<void> {
    // Parked deliveries have no JSON payload; the enum value stays (PostgreSQL cannot drop one).
    this.addSql(`delete from "webhook_inbox" where "payload" is null;`);
    this.addSql(`alter table "webhook_inbox" drop column "raw_body";`);
    this.addSql(`alter table "webhook_inbox" alter column "payload" set not null;`);
  }
}
