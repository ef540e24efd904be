import { Migration } from '@mikro-orm/migrations';

/**
 * `wabas.list_json`: the WABA's row of `GET /wabas` as JSON text, written by a trigger whenever a column the row
 * shows changes. Shaping 50 rows per request cost PostgreSQL more CPU than reading the page (to_char and JSON
 * escaping per column, ~4 µs a row); a WABA is read far more often than written, so the text is written once per
 * change instead. `waba_list_json` is the one spelling of a list row: the detail starts with the same text.
 * The keys and their order are WabaRowResponseDto's; `lastSyncedAt` as timestampJson writes it (UTC, milliseconds
 * cut, not rounded). A later change of the row's shape replaces the function and rewrites the column.
 */
export class Migration20261215090003_waba_list_json extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "wabas" add column "list_json" text null;`);
    this.addSql(`
      create function "waba_list_json"(w "wabas") returns text language sql stable parallel safe as $$
        select '{"wabaId":' || coalesce(to_json(w.waba_id)::text, 'null')
            || ',"name":' || coalesce(to_json(w.name)::text, 'null')
            || ',"status":' || coalesce(to_json(w.status)::text, 'null')
            || ',"statusReason":' || coalesce(to_json(w.status_reason)::text, 'null')
            || ',"mmLiteStatus":' || coalesce(to_json(w.mm_lite_status)::text, 'null')
            || ',"associatedNumbers":' || coalesce(w.associated_numbers::text, 'null')
            || ',"connection":' || coalesce(to_json(w.connection)::text, 'null')
            || ',"criticalAlert":' || coalesce(to_json(w.critical_alert)::text, 'null')
            || ',"lastSyncedAt":' || coalesce(to_json(to_char(w.last_synced_at at time zone 'UTC',
                                                              'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null')
            || '}'
      $$;`);
    this.addSql(`
      create function "wabas_write_list_json"() returns trigger language plpgsql as $$
      begin
        new."list_json" := "waba_list_json"(new);
        return new;
      end;
      $$;`);
    // The ALTER above holds `wabas` exclusively until commit: no row is written between the backfill and the triggers.
    this.addSql(`update "wabas" w set "list_json" = "waba_list_json"(w);`);
    this.addSql(`
      create trigger "wabas_list_json_on_insert" before insert on "wabas"
        for each row execute function "wabas_write_list_json"();`);
    // Only when a shown column (or the text itself) changes: claims, leases and token writes leave the text alone.
    this.addSql(`
      create trigger "wabas_list_json_on_update" before update on "wabas"
        for each row when (
          (old."waba_id", old."name", old."status", old."status_reason", old."mm_lite_status",
           old."associated_numbers", old."connection", old."critical_alert", old."last_synced_at", old."list_json")
          is distinct from
          (new."waba_id", new."name", new."status", new."status_reason", new."mm_lite_status",
           new."associated_numbers", new."connection", new."critical_alert", new."last_synced_at", new."list_json"))
        execute function "wabas_write_list_json"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "wabas_list_json_on_update" on "wabas";`);
    this.addSql(`drop trigger "wabas_list_json_on_insert" on "wabas";`);
    this.addSql(`drop function "wabas_write_list_json"();`);
    this.addSql(`drop function "waba_list_json"("wabas");`);
    this.addSql(`alter table "wabas" drop column "list_json";`);
  }
}
