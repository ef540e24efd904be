import { randomUUID } from 'node:crypto';

import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { Transactions } from 'src/common/events/transactions';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page } from 'src/common/http/pagination';

import { AuditEvent } from './audit-event.entity';
import type { AuditEventType } from './audit.constants';

/** Filters of the audit list. */
export interface AuditQuery {
  wabaId?: string;
  phoneNumberId?: string;
  type?: AuditEventType;
  limit?: number;
  cursor?: string;
}

/** What an audit record says: the record without its generated id; `occurredAt` defaults to now. */
export type AuditRecordInput = Omit<AuditEvent, 'id' | 'occurredAt'> & { occurredAt?: Date };

/**
 * Inserts the records of a {@link AuditService.recordAll} in one statement: one JSON parameter, unpacked
 * by `jsonb_to_recordset` (dates as ISO text, `before`/`after` as JSON).
 */
const INSERT_RECORDS = `INSERT INTO audit_events (id, organization_id, type, waba_id, phone_number_id, source, actor, before,
                                                  after, occurred_at)
  SELECT v.id, v.organization_id, v.type::audit_event_type, v.waba_id, v.phone_number_id, v.source::change_source,
         v.actor, v.before, v.after, v.occurred_at
    FROM jsonb_to_recordset(CAST(? AS jsonb))
      AS v(id uuid, organization_id uuid, type text, waba_id text, phone_number_id text, source text, actor text,
           before jsonb, after jsonb, occurred_at timestamptz)`;

/** Records changes (inside the caller's unit of work) and reads them back, organization-scoped. */
@Injectable()
export class AuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Adds an audit record to the running transaction's unit of work (MikroORM's transaction context): it is
   * written by that transaction's flush, with the change it describes, or not at all. Outside a transaction
   * it throws: a record written apart from its change could survive the change's rollback.
   */
  record(input: AuditRecordInput): AuditEvent {
    this.requireTransaction();
    const event = new AuditEvent({ ...input, occurredAt: input.occurredAt ?? new Date() });
    this.em.persist(event);
    return event;
  }

  /**
   * Adds many audit records to the running transaction at once, without entities: one multi-row INSERT sent
   * before its commit (Transactions.writeBeforeCommit), with the change they describe, or not at all. For a
   * batch of changes (the webhook worker's); each record keeps its own organization. Outside a transaction
   * it throws, as {@link record} does.
   */
  async recordAll(inputs: readonly AuditRecordInput[]): Promise<void> {
    this.requireTransaction();
    if (inputs.length === 0) {
      return;
    }
    const now = new Date();
    const records = inputs.map((input) => ({
      id: randomUUID(),
      organization_id: input.organizationId,
      type: input.type,
      waba_id: input.wabaId,
      phone_number_id: input.phoneNumberId,
      source: input.source,
      actor: input.actor,
      before: input.before,
      after: input.after,
      occurred_at: (input.occurredAt ?? now).toISOString(),
    }));
    await this.transactions.writeBeforeCommit({ sql: INSERT_RECORDS, params: [JSON.stringify(records)] });
  }

  private requireTransaction(): void {
    if (!this.em.getTransactionContext()) {
      throw new Error('AuditService records run inside the transaction of the change they record');
    }
  }

  /** Newest first, keyset-paginated on (occurredAt, id). */
  async list(organizationId: string, query: AuditQuery): Promise<Page<AuditEvent>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // The explicit condition doubles the request's tenant filter (defence in depth).
    const where: Record<string, unknown> = { organizationId };
    if (query.wabaId) {
      where.wabaId = query.wabaId;
    }
    if (query.phoneNumberId) {
      where.phoneNumberId = query.phoneNumberId;
    }
    if (query.type) {
      where.type = query.type;
    }
    if (query.cursor) {
      const [occurredAt, id] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      where.$or = [{ occurredAt: { $lt: occurredAt } }, { occurredAt, id: { $lt: id } }];
    }
    const rows = await this.em.find(AuditEvent, where, {
      orderBy: { occurredAt: 'desc', id: 'desc' },
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page,
      nextCursor: rows.length > limit && last ? encodeCursor([last.occurredAt, last.id]) : null,
    };
  }
}
