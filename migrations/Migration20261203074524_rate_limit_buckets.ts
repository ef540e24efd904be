import { Migration } from '@mikro-orm/migrations';

export class Migration20261203074524_rate_limit_buckets extends Migration {
  override async up(): Promise<void> {
    // UNLOGGED: written on every API request, and worth nothing after a crash (PostgreSQL empties it then,
    // which hands every caller one fresh minute of budget); skipping the WAL keeps the UPSERT cheap.
    this.addSql(
      `create unlogged table "rate_limit_buckets" ("key" varchar(300) not null, "tat_us" bigint not null, constraint "rate_limit_buckets_pkey" primary key ("key"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rate_limit_buckets" cascade;`);
  }
}
