import { Migration } from '@mikro-orm/migrations';

export class Migration20261204163000_waba_templates extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "waba_templates" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "waba_id" uuid not null, "template_id" varchar(32) not null, "name" varchar(512) not null, "language" varchar(32) not null, "category" varchar(32) null, "previous_category" varchar(32) null, "pending_category" varchar(32) null, "status" varchar(32) null, "reason" varchar(512) null, "quality" varchar(16) null, "source" varchar(16) not null, "meta_updated_at" timestamptz null, "status_at" timestamptz null, "category_at" timestamptz null, "quality_at" timestamptz null, constraint "waba_templates_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "waba_templates_waba_id_name_language_index" on "waba_templates" ("waba_id", "name", "language");`,
    );
    this.addSql(
      `alter table "waba_templates" add constraint "waba_templates_waba_id_template_id_unique" unique ("waba_id", "template_id");`,
    );
    this.addSql(
      `alter table "waba_templates" add constraint "waba_templates_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "waba_templates" add constraint "waba_templates_waba_id_foreign" foreign key ("waba_id") references "wabas" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `create table "waba_template_syncs" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "waba_id" uuid not null, "synced_at" timestamptz null, "due_at" timestamptz not null, "failures" int not null default 0, "last_error_code" varchar(32) null, constraint "waba_template_syncs_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "waba_template_syncs" add constraint "waba_template_syncs_waba_id_unique" unique ("waba_id");`,
    );
    this.addSql(`create index "waba_template_syncs_due_at_index" on "waba_template_syncs" ("due_at");`);
    this.addSql(
      `alter table "waba_template_syncs" add constraint "waba_template_syncs_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "waba_template_syncs" add constraint "waba_template_syncs_waba_id_foreign" foreign key ("waba_id") references "wabas" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "waba_template_syncs" cascade;`);
    this.addSql(`drop table if exists "waba_templates" cascade;`);
  }
}
