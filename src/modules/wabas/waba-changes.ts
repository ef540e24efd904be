import { AsyncLocalStorage } from 'node:async_hooks';

import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { Transactions } from 'src/common/events/transactions';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { type AuditRecordInput, AuditService } from 'src/modules/audit/audit.service';
import type { ChangeContext } from 'src/modules/audit/change-context';

import { ConnectionChangedEvent } from './events/connection-changed.event';
import { MmLiteStatusChangedEvent } from './events/mm-lite-status-changed.event';
import { WabaStatusChangedEvent } from './events/waba-status-changed.event';
import { WabaUpdatedEvent } from './events/waba-updated.event';
import { changedValues } from 'src/common/database/bulk-update';

import { rederive, visibleState, type WabaVisibleState } from './waba-transitions';
import type { Waba } from './waba.entity';
import { WABA_CHANGE_COLUMNS, type WabaChangeRow } from './waba-change-columns';
import type { WabaSyncField, WabaSyncRow } from './waba-sync-columns';
import type { SyncClaim } from './waba-sync.types';
import { WabaRepository } from './waba.repository';
import { WabaStatus } from './wabas.constants';

/** The WABA a {@link WabaDisabledRule} is told about: which one, and whose. */
export interface DisabledWaba {
  id: string;
  wabaId: string;
  organizationId: string;
}

/** A change that left a WABA DISABLED, as a {@link WabaDisabledRule} is told about it. */
export interface DisabledChange {
  waba: DisabledWaba;
  context: ChangeContext;
}

/**
 * Work another module must commit together with changes that leave WABAs DISABLED (their numbers leave MM
 * Lite): runs inside the changes' transaction, after the WABA rows are locked, and queues its own events with
 * `Transactions.publishAfterCommit`. It runs on every applied change of a DISABLED WABA, not only on the
 * transition, so it must be idempotent; that also repairs what a crash left behind under older code. It is
 * told about one change, or about every WABA of a batch ({@link WabaChanges.inBatch}) at once, each WABA once.
 */
export type WabaDisabledRule = (disabled: readonly DisabledChange[]) => Promise<void>;

/**
 * The WABAs a batch ({@link WabaChanges.inBatch}) locked in its transaction, as plain rows the commands change
 * in place, what they were when read, the audit records and the disabled rules the changes left due: the
 * rows are written back, the records inserted and the rules run once at the batch's end.
 */
interface WabaBatch {
  /** The WABA IDs the batch asked for, found or not. */
  requested: ReadonlySet<string>;
  /** The locked rows by WABA ID (an unknown WABA is absent), as the commands see them. */
  locked: ReadonlyMap<string, Waba>;
  /** The rows as read, by WABA ID: what {@link WabaRepository.changedRowsWrite} compares with. */
  read: ReadonlyMap<string, WabaChangeRow>;
  /** The audit records of the batch's changes, in the order they were made. */
  audits: AuditRecordInput[];
  /** The first change of each WABA left DISABLED, by WABA ID. */
  disabled: Map<string, DisabledChange>;
}

const batches = new AsyncLocalStorage<WabaBatch>();

/**
 * What a command does to one locked WABA: changes its fields and returns true, or returns false for
 * "nothing to do" (nothing is derived, audited nor published for it).
 */
export type WabaMutation = (waba: Waba) => boolean | Promise<boolean>;

/**
 * A {@link WabaMutation} that reads and changes only the fields of a {@link WabaSyncRow}, synchronously, so
 * that it can run on a plain row as well as on the entity (see {@link WabaChanges.applyInBulk}).
 */
export type WabaSyncMutation = (waba: Pick<Waba, WabaSyncField | 'id' | 'wabaId'>) => boolean;

/**
 * What a read changes on every WABA it reads (when, the next one, failures, the "as of" of each fact): not
 * news for anyone watching, so a bulk write that changes only these publishes no {@link WabaUpdatedEvent}.
 */
const SYNC_BOOKKEEPING: ReadonlySet<WabaSyncField> = new Set<WabaSyncField>([
  'lastSyncedAt',
  'nextSyncAt',
  'syncFailureCount',
  'lastSyncErrorCode',
  'snapshotAt',
  'mmLiteLastCheckedAt',
  'countryAt',
  'accountReviewStatusAt',
  'mmLiteTermsStatusAt',
  'disconnectionAt',
]);

/**
 * The one path through which this module's commands change WABAs, whatever the source (API, webhook,
 * sync): inside the use case's transaction (or one of its own), runs the change's fence, locks the rows in
 * WABA-ID order, applies the mutation, re-derives `status`/`statusReason`/`mmLiteStatus`, records an audit
 * event per visible change, runs the disabled rules, and queues the domain events for after the commit.
 * Internal to the module: other modules call the named commands, never this.
 */
@Injectable()
export class WabaChanges {
  private readonly disabledRules: WabaDisabledRule[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly repository: WabaRepository,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
  ) {}

  /** Registers a {@link WabaDisabledRule} (see WabasService.whenDisabled). */
  whenDisabled(rule: WabaDisabledRule): void {
    this.disabledRules.push(rule);
  }

  /**
   * Applies `mutate` to each of these WABAs that exists, under a row lock; returns the locked WABAs, changed
   * or not. A changed WABA that is DISABLED runs the disabled rules after all the WABA locks (lock order:
   * WABAs, then their numbers).
   */
  async apply(wabaIds: string[], context: ChangeContext, mutate: WabaMutation): Promise<Waba[]> {
    return this.transactions.run(async (em) => {
      await context.fence?.(em);
      const locked = this.lockedInBatch(wabaIds) ?? (await this.repository.lockForChange(wabaIds));
      for (const waba of locked) {
        const before = visibleState(waba);
        if (await mutate(waba)) {
          await this.settle(waba, before, context);
        }
      }
      return locked;
    });
  }

  /**
   * {@link apply} for many WABAs at once (a sync round's chunk), without loading entities: locks the rows in
   * WABA-ID order and reads them as plain rows, runs `mutate` on each and re-derives it; a WABA whose change
   * stays invisible (status, reason, MM Lite column and connection as they were, and not DISABLED: no audit,
   * event nor disabled rule is due) is written with the others by one statement, and any other goes through {@link apply}, the
   * command path (its row is locked already). With `releaseClaim` (a round's chunk, whose mutation checks that
   * claim under the lock), the rows applied are released in the same transaction, by the same statement.
   * Returns the locked rows, changed or not.
   */
  async applyInBulk(
    wabaIds: string[],
    context: ChangeContext,
    mutate: WabaSyncMutation,
    { releaseClaim }: { releaseClaim?: SyncClaim } = {},
  ): Promise<WabaSyncRow[]> {
    return this.transactions.run(async (em) => {
      await context.fence?.(em);
      const locked = await this.repository.lockForSync(wabaIds);
      const writes: Array<{ id: string; fields: Partial<WabaSyncRow> }> = [];
      const commands: string[] = [];
      const updated: WabaUpdatedEvent[] = [];
      for (const row of locked) {
        const after = { ...row };
        // The row carries every field the sync's transitions and the derivation read (WabaSyncRow).
        const waba = after as unknown as Waba;
        if (!mutate(waba)) {
          continue;
        }
        rederive(waba);
        const fields = changedValues<WabaSyncRow, WabaSyncField>(row, after, WabaRepository.syncFields());
        // One walk over the changed fields: all writable in bulk (invisible), and any of them news.
        let invisible = after.status !== WabaStatus.DISABLED;
        let news = false;
        for (const field in fields) {
          if (!WabaRepository.writableInBulk(field as WabaSyncField)) {
            invisible = false;
            break;
          }
          news ||= !SYNC_BOOKKEEPING.has(field as WabaSyncField);
        }
        if (invisible) {
          writes.push({ id: row.id, fields });
          if (news) {
            updated.push(new WabaUpdatedEvent(row.organizationId, row.wabaId, context.source));
          }
        } else {
          commands.push(row.wabaId);
        }
      }
      // Sent with the chunk's other bulk writes (its numbers') as one statement at the commit: the rows stay
      // locked until then, and nothing in the transaction reads these fields again.
      const write = this.repository.syncedFieldsWrite(writes, { release: releaseClaim !== undefined });
      if (write) {
        await this.transactions.writeBeforeCommit(write);
      }
      this.transactions.publishAfterCommit(...updated);
      if (commands.length > 0) {
        await this.apply(commands, context, mutate);
        if (releaseClaim) {
          await this.repository.releaseSyncClaims(releaseClaim, commands);
        }
      }
      return locked;
    });
  }

  /**
   * Runs `work` in one transaction (the caller's, or one of its own) with these WABAs locked first, with one
   * statement in WABA-ID order (as every change locks them, so concurrent batches cannot deadlock), and read
   * as plain rows: the commands `work` runs on them apply the same transitions to the rows, without an entity,
   * a lock or a unit of work per change. At the end of `work` the disabled rules their changes left due run
   * once per WABA, for all of them at once; then the changed rows are written back with one statement and the
   * audit records inserted with another, both sent before the commit (Transactions.writeBeforeCommit). A
   * command on a WABA outside the batch takes the usual path.
   */
  async inBatch<T>(wabaIds: readonly string[], work: () => Promise<T>): Promise<T> {
    return this.transactions.run(async () => {
      const requested = new Set(wabaIds);
      const rows = requested.size > 0 ? await this.repository.lockForBatch([...requested]) : [];
      const batch: WabaBatch = {
        requested,
        // The rows carry every field the commands' transitions, the derivation and the audit read.
        locked: new Map(rows.map((row) => [row.wabaId, row as unknown as Waba])),
        read: new Map(rows.map((row) => [row.wabaId, WABA_CHANGE_COLUMNS.copy(row)])),
        audits: [],
        disabled: new Map(),
      };
      const result = await batches.run(batch, work);
      const disabled = [...batch.disabled.values()];
      if (disabled.length > 0) {
        for (const rule of this.disabledRules) {
          await rule(disabled);
        }
      }
      const write = this.repository.changedRowsWrite(
        [...batch.read.values()].map((read) => ({
          read,
          now: batch.locked.get(read.wabaId) as unknown as WabaChangeRow,
        })),
      );
      if (write) {
        await this.transactions.writeBeforeCommit(write);
      }
      await this.audit.recordAll(batch.audits);
      return result;
    });
  }

  /**
   * The WABA as the running batch ({@link inBatch}) locked it: the entity, null when the batch found no such
   * WABA, undefined outside a batch or when the batch did not ask for it.
   */
  findInBatch(wabaId: string): Waba | null | undefined {
    const batch = batches.getStore();
    if (!batch?.requested.has(wabaId)) {
      return undefined;
    }
    return batch.locked.get(wabaId) ?? null;
  }

  /** {@link apply} for one WABA: the WABA as locked (changed or not), or null when it is unknown. */
  async applyOne(wabaId: string, context: ChangeContext, mutate: WabaMutation): Promise<Waba | null> {
    const [waba] = await this.apply([wabaId], context, mutate);
    return waba ?? null;
  }

  /**
   * After a WABA's fields changed inside the running transaction: re-derives its status columns, audits and
   * queues what became visible, and runs the disabled rules.
   */
  async settle(waba: Waba, before: WabaVisibleState, context: ChangeContext): Promise<void> {
    rederive(waba);
    if (!this.recordChanges(waba, before, context)) {
      this.transactions.publishAfterCommit(new WabaUpdatedEvent(waba.organization.id, waba.wabaId, context.source));
    }
    if (waba.status !== WabaStatus.DISABLED) {
      return;
    }
    const disabled: DisabledWaba = { id: waba.id, wabaId: waba.wabaId, organizationId: waba.organization.id };
    const batch = batches.getStore();
    if (batch?.locked.get(waba.wabaId) === waba) {
      // The rule is idempotent and its first run does the work: once per WABA, with the first such change.
      if (!batch.disabled.has(waba.wabaId)) {
        batch.disabled.set(waba.wabaId, { waba: disabled, context });
      }
      return;
    }
    for (const rule of this.disabledRules) {
      await rule([{ waba: disabled, context }]);
    }
  }

  /**
   * Adds an audit record of a WABA's field outside the derived columns (e.g. the review decision) to the
   * running transaction.
   */
  recordFieldChange(
    waba: Waba,
    context: ChangeContext,
    type: AuditEventType,
    before: Record<string, unknown> | null,
    after: Record<string, unknown>,
  ): void {
    const record: AuditRecordInput = {
      organizationId: waba.organization.id,
      wabaId: waba.wabaId,
      phoneNumberId: null,
      type,
      source: context.source,
      actor: context.actor,
      occurredAt: context.occurredAt,
      before,
      after,
    };
    const batch = batches.getStore();
    if (batch?.locked.get(waba.wabaId) === waba) {
      // A batch's row is no entity: its records are inserted together at the batch's end.
      batch.audits.push(record);
    } else {
      this.audit.record(record);
    }
  }

  /** These WABAs as the running batch locked them, in WABA-ID order; undefined when the batch did not ask for all. */
  private lockedInBatch(wabaIds: readonly string[]): Waba[] | undefined {
    const batch = batches.getStore();
    if (!batch || !wabaIds.every((wabaId) => batch.requested.has(wabaId))) {
      return undefined;
    }
    return [...new Set(wabaIds)].sort().flatMap((wabaId) => batch.locked.get(wabaId) ?? []);
  }

  /** Audits and queues the events of what became visible; false when none of it changed. */
  private recordChanges(waba: Waba, before: WabaVisibleState, context: ChangeContext): boolean {
    const organizationId = waba.organization.id;
    const after = visibleState(waba);
    let changed = false;
    if (before.status !== after.status || before.statusReason !== after.statusReason) {
      changed = true;
      const previous = { status: before.status, statusReason: before.statusReason };
      const current = { status: after.status, statusReason: after.statusReason };
      this.recordFieldChange(waba, context, AuditEventType.WABA_STATUS_CHANGED, previous, current);
      this.transactions.publishAfterCommit(
        new WabaStatusChangedEvent(organizationId, waba.wabaId, previous, current, context.source),
      );
    }
    if (before.mmLiteStatus !== after.mmLiteStatus) {
      changed = true;
      this.recordFieldChange(
        waba,
        context,
        AuditEventType.MM_LITE_STATUS_CHANGED,
        { mmLiteStatus: before.mmLiteStatus, metaStatus: before.mmLiteMetaStatus },
        { mmLiteStatus: after.mmLiteStatus, metaStatus: after.mmLiteMetaStatus },
      );
      this.transactions.publishAfterCommit(
        new MmLiteStatusChangedEvent(
          organizationId,
          waba.wabaId,
          before.mmLiteStatus,
          after.mmLiteStatus,
          after.mmLiteMetaStatus,
          context.source,
        ),
      );
    }
    if (before.connection !== after.connection) {
      changed = true;
      this.recordFieldChange(
        waba,
        context,
        AuditEventType.CONNECTION_CHANGED,
        { connection: before.connection },
        { connection: after.connection },
      );
      this.transactions.publishAfterCommit(
        new ConnectionChangedEvent(organizationId, waba.wabaId, before.connection, after.connection, context.source),
      );
    }
    return changed;
  }
}
