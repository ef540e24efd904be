import { Migration } from '@mikro-orm/migrations';

export class Migration20261203085804_waba_fact_times extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "wabas" add column "disconnection_at" timestamptz null, add column "connection_at" timestamptz null, add column "country_at" timestamptz null, add column "account_review_status_at" timestamptz null, add column "restrictions_at" timestamptz null, add column "mm_lite_terms_status_at" timestamptz null, add column "snapshot_at" timestamptz null;`,
    );
    // Ban and lifecycle events shared ban_state_at until now; the read fields are as of the last sync.
    this.addSql(
      `update "wabas" set "disconnection_at" = "ban_state_at", "snapshot_at" = "last_synced_at", "country_at" = "last_synced_at", "account_review_status_at" = "last_synced_at", "mm_lite_terms_status_at" = "last_synced_at";`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "wabas" drop column "disconnection_at", drop column "connection_at", drop column "country_at", drop column "account_review_status_at", drop column "restrictions_at", drop column "mm_lite_terms_status_at", drop column "snapshot_at";`,
    );
  }
}
