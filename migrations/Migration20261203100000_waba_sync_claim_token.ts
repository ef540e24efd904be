import { Migration } from '@mikro-orm/migrations';

export class Migration20261203100000_waba_sync_claim_token extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "wabas" add column "sync_claim_token" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "wabas" drop column "sync_claim_token";`);
  }
}
