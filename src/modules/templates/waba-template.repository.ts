import { LockMode } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/postgresql';

import { boundRows, preparedRead, preparedRows } from 'src/common/database/bound-sql';
import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, type Page } from 'src/common/http/pagination';

import { TemplateCategory, TemplateStatus } from './templates.constants';
import type { WabaTemplate } from './waba-template.entity';

/** Filters of a WABA's template list. */
export interface TemplateListQuery {
  category?: string;
  status?: string;
  /** Matches the name (case-insensitive) or the template ID. */
  q?: string;
  limit?: number;
  cursor?: string;
}

/** A WABA as the templates module keys it: its row, Meta's ID, its organization. */
export interface TemplateWabaRef {
  wabaRowId: string;
  wabaId: string;
  organizationId: string;
  /** Whether its templates are due for a read. */
  due: boolean;
}

/** A template as the list shows it, read without an entity. */
export interface TemplateRow {
  templateId: string;
  name: string;
  language: string;
  category: string | null;
  pendingCategory: string | null;
  status: string | null;
  reason: string | null;
  quality: string | null;
  source: string;
  updatedAt: Date;
}

interface TemplateRowColumns {
  template_id: string;
  name: string;
  language: string;
  category: string | null;
  pending_category: string | null;
  status: string | null;
  reason: string | null;
  quality: string | null;
  source: string;
  updated_at: string | Date;
}

/** The templates module's SQL over `waba_templates` and `waba_template_syncs`. */
export class WabaTemplateRepository extends EntityRepository<WabaTemplate> {
  /**
   * One page of a WABA's templates ordered by template ID. Raw SQL is not covered by the tenant filter: the
   * organization condition is the scope (the WABA's row ID alone would do, the organization doubles it).
   */
  async page(organizationId: string, wabaRowId: string, query: TemplateListQuery): Promise<Page<TemplateRow>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const conditions = ['t.organization_id = ?', 't.waba_id = ?'];
    const params: unknown[] = [organizationId, wabaRowId];
    if (query.category) {
      conditions.push('t.category = ?');
      params.push(query.category);
    }
    if (query.status) {
      conditions.push('t.status = ?');
      params.push(query.status);
    }
    if (query.q) {
      const pattern = `%${query.q.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
      conditions.push('(t.name ILIKE ? OR t.template_id LIKE ?)');
      params.push(pattern, pattern);
    }
    if (query.cursor) {
      const [afterTemplateId] = decodeCursor(query.cursor, ['metaId']);
      conditions.push('t.template_id > ?');
      params.push(afterTemplateId);
    }
    params.push(limit + 1);
    const rows = await preparedRead<TemplateRowColumns>(
      this.getEntityManager(),
      `SELECT t.template_id, t.name, t.language, t.category, t.pending_category, t.status, t.reason, t.quality,
              t.source, t.updated_at
         FROM waba_templates t
        WHERE ${conditions.join(' AND ')}
        ORDER BY t.template_id
        LIMIT ?`,
      params,
    );
    const data = rows.slice(0, limit).map(toRow);
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > limit && last ? encodeCursor([last.templateId]) : null };
  }

  /** The WABAs' templates locked FOR UPDATE (inside the caller's transaction), in row order. */
  async lockOfWabas(wabaRowIds: string[]): Promise<WabaTemplate[]> {
    if (wabaRowIds.length === 0) {
      return [];
    }
    // Across tenants: the sync and the webhooks come by WABA; the WABA rows were resolved by the caller.
    return this.find(
      { waba: { $in: wabaRowIds } },
      { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
    );
  }

  /** One template of a WABA by Meta's ID, locked FOR UPDATE; null when not stored. */
  async lockOne(wabaRowId: string, templateId: string): Promise<WabaTemplate | null> {
    // Across tenants: a webhook names the WABA by Meta's ID, resolved by the caller.
    return this.findOne({ waba: wabaRowId, templateId }, { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** A WABA's template by name and language (what a send names); null when not stored. */
  async findByNameAndLanguage(wabaRowId: string, name: string, language: string): Promise<WabaTemplate | null> {
    // Across tenants: the caller resolved the WABA within its organization. Several IDs under one name and
    // language happen only while Meta deletes one: the newest report wins.
    const [template] = await this.find(
      { waba: wabaRowId, name, language },
      { ...ACROSS_TENANTS, orderBy: { metaUpdatedAt: 'desc nulls last' }, limit: 1 },
    );
    return template ?? null;
  }

  /** The languages a WABA's template name exists in (DELETED ones left out), sorted: what a refusal lists. */
  async languagesOf(wabaRowId: string, name: string): Promise<string[]> {
    // Across tenants: the caller resolved the WABA within its organization.
    const rows = await boundRows<{ language: string }>(
      this.getEntityManager(),
      `SELECT DISTINCT language FROM waba_templates
        WHERE waba_id = ? AND name = ? AND status IS DISTINCT FROM ? AND language <> ''
        ORDER BY language`,
      [wabaRowId, name, TemplateStatus.DELETED],
    );
    return rows.map((row) => row.language);
  }

  /** How many APPROVED MARKETING templates each WABA (row ID) has; WABAs without any are absent. */
  async countApprovedMarketing(wabaRowIds: string[]): Promise<Map<string, number>> {
    if (wabaRowIds.length === 0) {
      return new Map();
    }
    const rows = await boundRows<{ waba_id: string; count: string }>(
      this.getEntityManager(),
      `SELECT waba_id, count(*) AS count FROM waba_templates
        WHERE waba_id = ANY(?) AND status = ? AND category = ?
        GROUP BY waba_id`,
      [wabaRowIds, TemplateStatus.APPROVED, TemplateCategory.MARKETING],
    );
    return new Map(rows.map((row) => [row.waba_id, Number(row.count)]));
  }

  /**
   * Of these WABAs (by row), the rows whose templates are not due for a read by `now`: read before, and due
   * later. Reads `waba_template_syncs` only, by its WABA index.
   */
  async notDueOf(wabaRowIds: string[], now: Date): Promise<Set<string>> {
    if (wabaRowIds.length === 0) {
      return new Set();
    }
    // Prepared: a round asks this for every claim with the same text.
    const rows = await preparedRows<{ waba_id: string }>(
      this.getEntityManager(),
      `SELECT waba_id FROM waba_template_syncs WHERE waba_id = ANY(?::uuid[]) AND due_at > ?`,
      [wabaRowIds, now],
    );
    return new Set(rows.map((row) => row.waba_id));
  }

  /**
   * The stored WABAs among these Meta IDs with their row and organization, and whether their templates are
   * due for a read by `now` (never read counts as due). Reads `wabas` for the keys only.
   */
  async refsOf(wabaIds: string[], now: Date): Promise<TemplateWabaRef[]> {
    if (wabaIds.length === 0) {
      return [];
    }
    const rows = await boundRows<{ id: string; waba_id: string; organization_id: string; due: boolean }>(
      this.getEntityManager(),
      `SELECT w.id, w.waba_id, w.organization_id, (s.id IS NULL OR s.due_at <= ?) AS due
         FROM wabas w
         LEFT JOIN waba_template_syncs s ON s.waba_id = w.id
        WHERE w.waba_id = ANY(?)`,
      [now, wabaIds],
    );
    return rows.map((row) => ({
      wabaRowId: row.id,
      wabaId: row.waba_id,
      organizationId: row.organization_id,
      due: row.due,
    }));
  }

  /** When the WABA's (row ID) templates were last read in full; null when never. */
  async syncedAt(wabaRowId: string): Promise<Date | null> {
    const [row] = await boundRows<{ synced_at: string | Date | null }>(
      this.getEntityManager(),
      `SELECT synced_at FROM waba_template_syncs WHERE waba_id = ?`,
      [wabaRowId],
    );
    return row?.synced_at ? new Date(row.synced_at) : null;
  }

  /**
   * Records complete reads of these WABAs' templates (each began at `syncedAt`): due again at `dueAt`, the
   * failure count reset. One statement for a round's chunk.
   */
  async recordSynced(
    wabas: Array<{ wabaRowId: string; organizationId: string }>,
    syncedAt: Date,
    dueAt: Date,
  ): Promise<void> {
    if (wabas.length === 0) {
      return;
    }
    await boundRows(
      this.getEntityManager(),
      `INSERT INTO waba_template_syncs (id, created_at, updated_at, organization_id, waba_id, synced_at, due_at,
                                        failures, last_error_code)
       SELECT gen_random_uuid(), now(), now(), w.organization_id, w.waba_id, ?, ?, 0, NULL
         FROM unnest(?::uuid[], ?::uuid[]) AS w(waba_id, organization_id)
       ON CONFLICT (waba_id) DO UPDATE
          SET synced_at = excluded.synced_at, due_at = excluded.due_at, failures = 0, last_error_code = NULL,
              updated_at = now()`,
      [syncedAt, dueAt, wabas.map((waba) => waba.wabaRowId), wabas.map((waba) => waba.organizationId)],
    );
  }

  /**
   * Records a failed read of a WABA's templates: one more failure, due again after the back-off that
   * `backoffMs` gives for the new failure count. Returns the new count.
   */
  async recordFailure(
    waba: { wabaRowId: string; organizationId: string },
    errorCode: string,
    now: Date,
    backoffMs: (failures: number) => number,
  ): Promise<number> {
    const [row] = await boundRows<{ failures: number }>(
      this.getEntityManager(),
      `INSERT INTO waba_template_syncs (id, created_at, updated_at, organization_id, waba_id, due_at, failures,
                                        last_error_code)
       VALUES (gen_random_uuid(), now(), now(), ?, ?, ?, 1, ?)
       ON CONFLICT (waba_id) DO UPDATE
          SET failures = waba_template_syncs.failures + 1, last_error_code = excluded.last_error_code,
              updated_at = now()
       RETURNING failures`,
      [waba.organizationId, waba.wabaRowId, new Date(now.getTime() + backoffMs(1)), errorCode.slice(0, 32)],
    );
    const failures = row?.failures ?? 1;
    await boundRows(this.getEntityManager(), `UPDATE waba_template_syncs SET due_at = ? WHERE waba_id = ?`, [
      new Date(now.getTime() + backoffMs(failures)),
      waba.wabaRowId,
    ]);
    return failures;
  }

  /** Makes a WABA's templates due for a read at `dueAt` at the latest (an earlier due time stays). */
  async markDue(waba: { wabaRowId: string; organizationId: string }, dueAt: Date): Promise<void> {
    await boundRows(
      this.getEntityManager(),
      `INSERT INTO waba_template_syncs (id, created_at, updated_at, organization_id, waba_id, due_at, failures)
       VALUES (gen_random_uuid(), now(), now(), ?, ?, ?, 0)
       ON CONFLICT (waba_id) DO UPDATE
          SET due_at = least(waba_template_syncs.due_at, excluded.due_at), updated_at = now()`,
      [waba.organizationId, waba.wabaRowId, dueAt],
    );
  }
}

function toRow(row: TemplateRowColumns): TemplateRow {
  return {
    templateId: row.template_id,
    name: row.name,
    language: row.language,
    category: row.category,
    pendingCategory: row.pending_category,
    status: row.status,
    reason: row.reason,
    quality: row.quality,
    source: row.source,
    updatedAt: new Date(row.updated_at),
  };
}
