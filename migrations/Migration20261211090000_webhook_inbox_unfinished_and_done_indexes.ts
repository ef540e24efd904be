import { Migration } from '@mikro-orm/migrations';

/**
 * Partial indexes that keep the worker's claim and the retention prune off the processed rows: the claim
 * walks the unfinished rows in (created_at, id) order, and the prune finds DONE rows by `processed_at`,
 * however many processed rows the inbox holds.
 */
export class Migration20261211090000_webhook_inbox_unfinished_and_done_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "webhook_inbox_unfinished_index" on "webhook_inbox" ("created_at", "id") where "status" in ('PENDING', 'PROCESSING');`,
    );
    this.addSql(`create index "webhook_inbox_done_index" on "webhook_inbox" ("processed_at") where "status" = 'DONE';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "webhook_inbox_done_index";`);
    this.addSql(`drop index "webhook_inbox_unfinished_index";`);
  }
}
