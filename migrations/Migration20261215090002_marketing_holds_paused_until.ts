import { Migration } from '@mikro-orm/migrations';

/**
 * The retention of `marketing_recipient_holds` deletes PAUSED holds that ended (`until` passed) in small
 * batches; this partial index finds them without reading the OPTED_OUT holds, which are never pruned by age.
 */
export class Migration20261215090002_marketing_holds_paused_until extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "marketing_recipient_holds_paused_until_index" on "marketing_recipient_holds" ("until") where "kind" = 'PAUSED';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "marketing_recipient_holds_paused_until_index";`);
  }
}
