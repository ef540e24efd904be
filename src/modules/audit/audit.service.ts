import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

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

/** Records changes (inside the caller's unit of work) and reads them back, organization-scoped. */
@Injectable()
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Adds an audit record to the running transaction's unit of work (MikroORM's transaction context): it is
   * written by that transaction's flush, with the change it describes, or not at all. Outside a transaction
   * it throws: a record written apart from its change could survive the change's rollback.
   */
  record(input: Omit<AuditEvent, 'id' | 'occurredAt'> & { occurredAt?: Date }): AuditEvent {
    if (!this.em.getTransactionContext()) {
      throw new Error('AuditService.record runs inside the transaction of the change it records');
    }
    const event = new AuditEvent({ ...input, occurredAt: input.occurredAt ?? new Date() });
    this.em.persist(event);
    return event;
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
