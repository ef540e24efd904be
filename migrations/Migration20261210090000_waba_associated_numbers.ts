import { Migration } from '@mikro-orm/migrations';

/**
 * `wabas.associated_numbers`: the count of the WABA's phone numbers, kept by a trigger on `phone_numbers`
 * so that the WABA list reads its own table only (the number rows stay the phone-numbers module's).
 */
export class Migration20261210090000_waba_associated_numbers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "wabas" add column "associated_numbers" int not null default 0;`);
    this.addSql(`
      create function "wabas_count_phone_numbers"() returns trigger language plpgsql as $$
      begin
        if tg_op in ('DELETE', 'UPDATE') then
          update "wabas" set "associated_numbers" = "associated_numbers" - 1 where "id" = old."waba_id";
        end if;
        if tg_op in ('INSERT', 'UPDATE') then
          update "wabas" set "associated_numbers" = "associated_numbers" + 1 where "id" = new."waba_id";
        end if;
        return null;
      end;
      $$;`);
    this.addSql(`
      create trigger "phone_numbers_count_on_wabas"
        after insert or delete or update of "waba_id" on "phone_numbers"
        for each row execute function "wabas_count_phone_numbers"();`);
    // The ALTER above holds `wabas` exclusively until commit, so no number is added between trigger and backfill.
    this.addSql(`
      update "wabas" w
         set "associated_numbers" = (select count(*) from "phone_numbers" p where p."waba_id" = w."id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "phone_numbers_count_on_wabas" on "phone_numbers";`);
    this.addSql(`drop function "wabas_count_phone_numbers"();`);
    this.addSql(`alter table "wabas" drop column "associated_numbers";`);
  }
}
