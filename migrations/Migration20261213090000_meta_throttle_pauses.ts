import { Migration } from '@mikro-orm/migrations';

export class Migration20261213090000_meta_throttle_pauses extends Migration {
  override async up(): Promise<void> {
    // UNLOGGED: a handful of rows, written when Meta throttles and read by every instance each second;
    // worth nothing after a crash (PostgreSQL empties it then, and Meta throttles again if it must).
    this.addSql(
      `create unlogged table "meta_throttle_pauses" ("scope" varchar(64) not null, "paused_until" timestamptz not null, constraint "meta_throttle_pauses_pkey" primary key ("scope"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "meta_throttle_pauses" cascade;`);
  }
}
