import { LockMode, raw } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/postgresql';

import { type BoundWrite, preparedRows } from 'src/common/database/bound-sql';
import { bulkUpdate, ColumnMap, type MappedColumn } from 'src/common/database/bulk-update';
import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page } from 'src/common/http/pagination';

import type { PhoneNumber } from './phone-number.entity';
import { RegistrationStatus, type SendingChannel } from './phone-numbers.constants';

/** Filters of the number list. */
export interface PhoneNumberListQuery {
  wabaId?: string;
  sendingChannel?: SendingChannel;
  limit?: number;
  cursor?: string;
}

/**
 * The columns a Graph read of a number is applied to (phone-number-snapshot's `applyPhoneSnapshot` and
 * `phoneState` read nothing else), by property, with whether a read may write them in bulk.
 */
const SYNC_COLUMNS = {
  displayPhoneNumber: { column: 'display_phone_number', type: 'varchar(64)', kind: 'value', bulk: true },
  displayPhoneDigits: { column: 'display_phone_digits', type: 'varchar(32)', kind: 'value', bulk: true },
  verifiedName: { column: 'verified_name', type: 'varchar(512)', kind: 'value', bulk: true },
  qualityRating: { column: 'quality_rating', type: 'varchar(32)', kind: 'value', bulk: true },
  status: { column: 'status', type: 'varchar(32)', kind: 'value', bulk: true },
  nameStatus: { column: 'name_status', type: 'varchar(32)', kind: 'value', bulk: true },
  codeVerificationStatus: { column: 'code_verification_status', type: 'varchar(32)', kind: 'value', bulk: true },
  platformType: { column: 'platform_type', type: 'varchar(32)', kind: 'value', bulk: true },
  throughputLevel: { column: 'throughput_level', type: 'varchar(32)', kind: 'value', bulk: true },
  messagingLimitTier: { column: 'messaging_limit_tier', type: 'varchar(32)', kind: 'value', bulk: true },
  health: { column: 'health', type: 'jsonb', kind: 'json', bulk: true },
  nameStatusAsOf: { column: 'name_status_as_of', type: 'timestamptz', kind: 'date', bulk: true },
  qualityAsOf: { column: 'quality_as_of', type: 'timestamptz', kind: 'date', bulk: true },
  throughputAsOf: { column: 'throughput_as_of', type: 'timestamptz', kind: 'date', bulk: true },
  lastSyncedAt: { column: 'last_synced_at', type: 'timestamptz', kind: 'date', bulk: true },
  sendingChannel: { column: 'sending_channel', type: 'text', kind: 'value', bulk: false },
} as const satisfies Partial<Record<keyof PhoneNumber, MappedColumn>>;

/** A property of {@link PhoneSyncRow} read from the row. */
export type PhoneSyncField = keyof typeof SYNC_COLUMNS;

/**
 * A number as a read of Meta is applied to it under its row lock: its fields, its organization and its WABA
 * (internal and Meta ID); a plain row, not a managed entity (written back by
 * {@link PhoneNumberRepository.syncedFieldsWrite}).
 */
export type PhoneSyncRow = Pick<PhoneNumber, PhoneSyncField | 'id' | 'phoneNumberId'> & {
  organization: { id: string };
  waba: { id: string; wabaId: string };
};

const PHONE_SYNC_COLUMNS = new ColumnMap<PhoneSyncField>(SYNC_COLUMNS);

/**
 * The queries of `phone_numbers`; nothing else in the code base names the table. Reads and locks run on the
 * EntityManager of the current context, so inside a use case's transaction they join it (the row locks
 * need one). Row-lock order: a WABA before its numbers; locks on a number never lock its WABA with it.
 */
export class PhoneNumberRepository extends EntityRepository<PhoneNumber> {
  /**
   * The organization's number with its WABA; `fresh` reads it as committed now, past what this context's
   * identity map already holds (a twin request may have changed it since).
   */
  async findOwned(
    organizationId: string,
    phoneNumberId: string,
    { fresh = false }: { fresh?: boolean } = {},
  ): Promise<PhoneNumber | null> {
    const em = fresh ? this.getEntityManager().fork() : this.getEntityManager();
    // The explicit condition doubles the request's tenant filter (defence in depth).
    return em.findOne(this.entityName, { phoneNumberId, organization: organizationId }, { populate: ['waba'] });
  }

  /**
   * Inside the signup's transaction, after its WABA's lock: any organization's number by Meta ID, with its
   * PIN (the connection registers it next) and its WABA as a reference only (no join: the caller compares
   * it with the WABA it locked).
   */
  async findForSignup(phoneNumberId: string): Promise<PhoneNumber | null> {
    // Across tenants: a number belongs to at most one organization, and signup must see another's to refuse it.
    return this.findOne({ phoneNumberId }, { ...ACROSS_TENANTS, populate: ['pinSealed'] });
  }

  /** One page of the organization's numbers ordered by phone number ID, with their WABAs. */
  async page(organizationId: string, query: PhoneNumberListQuery): Promise<Page<PhoneNumber>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // The explicit condition doubles the tenant filter (defence in depth).
    const where: Record<string, unknown> = { organization: organizationId };
    if (query.wabaId) {
      where.waba = { wabaId: query.wabaId };
    }
    if (query.sendingChannel) {
      where.sendingChannel = query.sendingChannel;
    }
    if (query.cursor) {
      const [after] = decodeCursor(query.cursor, ['metaId']);
      where.phoneNumberId = { $gt: after };
    }
    const rows = await this.find(where, {
      orderBy: { phoneNumberId: 'asc' },
      limit: limit + 1,
      populate: ['waba'],
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { data: page, nextCursor: rows.length > limit && last ? encodeCursor([last.phoneNumberId]) : null };
  }

  /** The numbers of a WABA (by Meta ID) in phone number ID order; tenant-filtered like the caller's scope. */
  async listByWaba(wabaId: string): Promise<PhoneNumber[]> {
    return this.find({ waba: { wabaId } }, { orderBy: { phoneNumberId: 'asc' } });
  }

  /**
   * Meta IDs of the numbers stored under these WABAs (their row and Meta ID), by WABA's Meta ID, each list in
   * ID order.
   */
  async phoneNumberIdsByWaba(wabas: ReadonlyArray<{ rowId: string; wabaId: string }>): Promise<Map<string, string[]>> {
    const byWaba = new Map<string, string[]>();
    if (wabas.length === 0) {
      return byWaba;
    }
    // The caller names the WABAs by row too (a round's claim returned it): the numbers' index alone answers,
    // without reading `wabas` again.
    const metaIdOf = new Map(wabas.map((waba) => [waba.rowId, waba.wabaId]));
    // Raw SQL (not filtered): the sync rounds read every organization's WABAs, which bound the rows. Prepared:
    // a round reads every claim's numbers with the same text.
    const rows = await preparedRows<{ phone_number_id: string; waba_id: string }>(
      this.getEntityManager(),
      `SELECT p.phone_number_id, p.waba_id
         FROM phone_numbers p
        WHERE p.waba_id = ANY(?::uuid[])
        ORDER BY p.phone_number_id`,
      [[...metaIdOf.keys()]],
    );
    for (const row of rows) {
      const wabaId = metaIdOf.get(row.waba_id);
      if (wabaId === undefined) {
        continue;
      }
      const ids = byWaba.get(wabaId);
      if (ids) {
        ids.push(row.phone_number_id);
      } else {
        byWaba.set(wabaId, [row.phone_number_id]);
      }
    }
    return byWaba;
  }

  /**
   * Finds a WABA's number (by its internal ID) by Meta ID or, failing that, by the digits of its display
   * number; across tenants, since the webhook worker has no organization in scope.
   */
  async findInWaba(
    wabaRowId: string,
    match: { phoneNumberId: string } | { digits: string },
  ): Promise<PhoneNumber | null> {
    // Across tenants: the WABA the webhook resolved bounds the search.
    const where =
      'phoneNumberId' in match ? { phoneNumberId: match.phoneNumberId } : { displayPhoneDigits: match.digits };
    return this.findOne({ ...where, waba: wabaRowId }, { ...ACROSS_TENANTS });
  }

  /**
   * Locks one number FOR UPDATE (by Meta ID or internal ID) and reads its WABA without locking it: a lock
   * on the WABA taken here would come after the number's, the reverse of a disable (WABA, then its
   * numbers), and could deadlock with it. Needs the caller's transaction.
   */
  async lock(key: { phoneNumberId: string } | { id: string }): Promise<PhoneNumber | null> {
    // Across tenants: webhooks, the sync and the retry job come by ID; API callers checked ownership first.
    const locked = await this.findOne(key, { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE });
    if (locked) {
      await this.getEntityManager().populate(locked, ['waba'], { ...ACROSS_TENANTS });
    }
    return locked;
  }

  /** Locks FOR UPDATE, in ID order, these WABAs' numbers on a channel (their rows are locked already by the caller). */
  async lockOnChannel(wabaRowIds: readonly string[], channel: SendingChannel): Promise<PhoneNumber[]> {
    if (wabaRowIds.length === 0) {
      return [];
    }
    // Across tenants: the WABAs, already locked by the caller, bound the rows. Number rows only, in ID order.
    const phones = await this.find(
      { waba: { $in: [...wabaRowIds] }, sendingChannel: channel },
      { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { phoneNumberId: 'asc' } },
    );
    if (phones.length > 0) {
      // Their records name the WABA by Meta ID: a batch of webhook changes reads its WABAs as plain rows, so
      // the unit of work may hold no entity of them. Nothing is read when it holds them all already.
      await this.getEntityManager().populate(phones, ['waba'], { ...ACROSS_TENANTS });
    }
    return phones;
  }

  /**
   * Locks FOR UPDATE, in ID order and with one query, the numbers with these Meta IDs stored under these
   * WABAs (by internal ID), and reads the fields a Graph read is applied to, as plain rows (no hydration, no
   * identity map). The WABA rows are not locked here (the caller locked them first).
   */
  async lockForSync(
    phoneNumberIds: string[],
    wabas: ReadonlyArray<{ id: string; wabaId: string }>,
  ): Promise<PhoneSyncRow[]> {
    if (phoneNumberIds.length === 0 || wabas.length === 0) {
      return [];
    }
    // The caller names the WABAs (internal and Meta ID): the numbers' query never reads the wabas table. One
    // reference per WABA and per organization, shared by their numbers' rows (which only read them).
    const wabaOf = new Map<string, { id: string; wabaId: string }>();
    for (const waba of wabas) {
      wabaOf.set(waba.id, { id: waba.id, wabaId: waba.wabaId });
    }
    const organizationOf = new Map<string, { id: string }>();
    // Raw SQL, across tenants: the sync applies every organization's WABAs; the WABA condition scopes each number.
    // Prepared: a round locks every chunk's numbers with the same text.
    const rows = await preparedRows<Record<string, unknown>>(
      this.getEntityManager(),
      `SELECT p.id, p.organization_id, p.phone_number_id AS "phoneNumberId", p.waba_id AS waba_row_id, ${PHONE_SYNC_COLUMNS.select('p')}
         FROM phone_numbers p
        WHERE p.phone_number_id = ANY(?) AND p.waba_id = ANY(?)
        ORDER BY p.phone_number_id
          FOR UPDATE`,
      [phoneNumberIds, [...wabaOf.keys()]],
    );
    // The driver's rows themselves, already named as the fields (no copy of every column per number); the
    // raw organization_id and waba_row_id they keep beside are read by nothing else.
    return rows.map((row) => {
      const phone = PHONE_SYNC_COLUMNS.decode(row) as unknown as PhoneSyncRow;
      const organizationId = row.organization_id as string;
      let organization = organizationOf.get(organizationId);
      if (!organization) {
        organization = { id: organizationId };
        organizationOf.set(organizationId, organization);
      }
      phone.organization = organization;
      phone.waba = wabaOf.get(row.waba_row_id as string) as { id: string; wabaId: string };
      return phone;
    });
  }

  /**
   * The one statement that writes the fields of locked numbers ({@link lockForSync}) that a read changed, for
   * the caller to run in its transaction (null when nothing changed): only the columns that differ from what
   * was read (it throws for a column not writable in bulk).
   */
  syncedFieldsWrite(changes: Array<{ id: string; fields: Partial<PhoneSyncRow> }>): BoundWrite | null {
    const rows = PHONE_SYNC_COLUMNS.bulkRows(changes);
    return rows.length === 0 ? null : bulkUpdate('phone_numbers', PHONE_SYNC_COLUMNS.bulkColumns, rows);
  }

  /** The {@link PhoneSyncField}s of a number as read (for {@link syncedFieldsWrite}' comparison). */
  static syncFields(): readonly PhoneSyncField[] {
    return PHONE_SYNC_COLUMNS.fields;
  }

  /** The Meta ID of the WABA each of these numbers is stored under (numbers not stored are absent). */
  async wabaIdsOf(phoneNumberIds: string[]): Promise<Map<string, string>> {
    // Not filtered: Meta IDs only, for the operators' log.
    const rows = await this.createQueryBuilder('p')
      .select(['p.phoneNumberId'])
      .addSelect(raw('w.waba_id AS waba_meta_id'))
      .join('p.waba', 'w')
      .where({ phoneNumberId: { $in: phoneNumberIds } })
      .execute<Array<{ phone_number_id: string; waba_meta_id: string }>>('all', false);
    return new Map(rows.map((row) => [row.phone_number_id, row.waba_meta_id]));
  }

  /**
   * Claims (FOR UPDATE SKIP LOCKED, in the caller's transaction) the number whose registration retry is the
   * most overdue, with its PIN and (read after the lock, not locked) its WABA; null when none is due.
   */
  async claimDueRegistration(now: Date): Promise<PhoneNumber | null> {
    const [phone] = await this.find(
      {
        registrationStatus: { $in: [RegistrationStatus.PENDING, RegistrationStatus.FAILED] },
        nextRegistrationAttemptAt: { $lte: now },
      },
      {
        // Across tenants: the retry job serves every organization's due numbers.
        ...ACROSS_TENANTS,
        populate: ['pinSealed'],
        limit: 1,
        lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE,
        orderBy: { nextRegistrationAttemptAt: 'asc' },
      },
    );
    if (!phone) {
      return null;
    }
    await this.getEntityManager().populate(phone, ['waba'], { ...ACROSS_TENANTS });
    return phone;
  }

  /** The number (by internal ID) with its WABA and PIN, read afresh as committed now. */
  async loadFresh(id: string): Promise<PhoneNumber> {
    // Across tenants: the caller holds the number (a connection's request, a manual retry after the ownership check).
    return this.getEntityManager()
      .fork()
      .findOneOrFail(this.entityName, { id }, { ...ACROSS_TENANTS, populate: ['waba', 'pinSealed'] });
  }
}
