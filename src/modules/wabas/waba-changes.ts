import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { Transactions } from 'src/common/events/transactions';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import type { ChangeContext } from 'src/modules/audit/change-context';

import { ConnectionChangedEvent } from './events/connection-changed.event';
import { MmLiteStatusChangedEvent } from './events/mm-lite-status-changed.event';
import { WabaStatusChangedEvent } from './events/waba-status-changed.event';
import { changedValues } from 'src/common/database/bulk-update';

import { rederive, visibleState, type WabaVisibleState } from './waba-transitions';
import type { Waba } from './waba.entity';
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

/**
 * Work another module must commit together with a change that leaves a WABA DISABLED (its numbers leave MM
 * Lite): runs inside the change's transaction, after the WABA row is locked, and queues its own events with
 * `Transactions.publishAfterCommit`. It runs on every applied change of a DISABLED WABA, not only on the
 * transition, so it must be idempotent; that also repairs what a crash left behind under older code.
 */
export type WabaDisabledRule = (waba: DisabledWaba, context: ChangeContext) => Promise<void>;

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
      const locked = await this.repository.lockForChange(wabaIds);
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
      for (const row of locked) {
        const after = { ...row };
        // The row carries every field the sync's transitions and the derivation read (WabaSyncRow).
        const waba = after as unknown as Waba;
        if (!mutate(waba)) {
          continue;
        }
        rederive(waba);
        const fields = changedValues<WabaSyncRow, WabaSyncField>(row, after, WabaRepository.syncFields());
        const invisible = (Object.keys(fields) as WabaSyncField[]).every(WabaRepository.writableInBulk);
        if (invisible && after.status !== WabaStatus.DISABLED) {
          writes.push({ id: row.id, fields });
        } else {
          commands.push(row.wabaId);
        }
      }
      await this.repository.writeSyncedFields(writes, { release: releaseClaim !== undefined });
      if (commands.length > 0) {
        await this.apply(commands, context, mutate);
        if (releaseClaim) {
          await this.repository.releaseSyncClaims(releaseClaim, commands);
        }
      }
      return locked;
    });
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
    this.recordChanges(waba, before, context);
    if (waba.status !== WabaStatus.DISABLED) {
      return;
    }
    const disabled: DisabledWaba = { id: waba.id, wabaId: waba.wabaId, organizationId: waba.organization.id };
    for (const rule of this.disabledRules) {
      await rule(disabled, context);
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
    this.audit.record({
      organizationId: waba.organization.id,
      wabaId: waba.wabaId,
      phoneNumberId: null,
      type,
      source: context.source,
      actor: context.actor,
      occurredAt: context.occurredAt,
      before,
      after,
    });
  }

  private recordChanges(waba: Waba, before: WabaVisibleState, context: ChangeContext): void {
    const organizationId = waba.organization.id;
    const after = visibleState(waba);
    if (before.status !== after.status || before.statusReason !== after.statusReason) {
      const previous = { status: before.status, statusReason: before.statusReason };
      const current = { status: after.status, statusReason: after.statusReason };
      this.recordFieldChange(waba, context, AuditEventType.WABA_STATUS_CHANGED, previous, current);
      this.transactions.publishAfterCommit(
        new WabaStatusChangedEvent(organizationId, waba.wabaId, previous, current, context.source),
      );
    }
    if (before.mmLiteStatus !== after.mmLiteStatus) {
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
  }
}
