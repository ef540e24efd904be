import { Migration } from '@mikro-orm/migrations';

export class Migration20261204163700_sync_tables_fillfactor extends Migration {
  override async up(): Promise<void> {
    // Every sync round updates each WABA row twice (its claim, then the apply with the release) and each
    // number once. With full pages none of those updates could stay on its page, so each one added an entry
    // to every index of the table; room left on each page lets PostgreSQL update in place (HOT) whenever no
    // indexed column changes: the claim, and a number's read. Applies to pages written from now on.
    this.addSql(`alter table "wabas" set (fillfactor = 70);`);
    this.addSql(`alter table "phone_numbers" set (fillfactor = 70);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "wabas" reset (fillfactor);`);
    this.addSql(`alter table "phone_numbers" reset (fillfactor);`);
  }
}
