import { Migration } from '@mikro-orm/migrations';

export class Migration20261203110000_phone_number_fact_times extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "phone_numbers" add column "name_status_as_of" timestamptz null, add column "quality_as_of" timestamptz null, add column "throughput_as_of" timestamptz null;`,
    );
    // Until now one webhook time covered every field and reads were not dated: the newer of the two.
    this.addSql(
      `update "phone_numbers" set "name_status_as_of" = greatest("last_webhook_at", "last_synced_at"), "quality_as_of" = greatest("last_webhook_at", "last_synced_at"), "throughput_as_of" = greatest("last_webhook_at", "last_synced_at");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "phone_numbers" drop column "name_status_as_of", drop column "quality_as_of", drop column "throughput_as_of";`,
    );
  }
}
