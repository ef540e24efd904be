import { Migration } from '@mikro-orm/migrations';

export class Migration20261203075331_waba_sync_handled_at extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "wabas" add column "sync_handled_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "wabas" drop column "sync_handled_at";`);
  }
}
