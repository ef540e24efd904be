import type { AuditEventType } from 'src/modules/audit/audit.constants';
import type { ChangeContext } from 'src/modules/audit/change-context';

import type { WabaChanges, WabaMutation } from './waba-changes';
import type { Waba } from './waba.entity';
import { WabaConnection } from './wabas.constants';

/** What {@link changesOn} saw: per change, whether the mutation applied, and the audit types recorded. */
export interface RecordedChanges {
  changes: WabaChanges;
  applied: boolean[];
  audited: AuditEventType[];
  contexts: ChangeContext[];
}

/**
 * The change path without a database, for the specs of this module's commands: runs each mutation on the
 * in-memory WABAs it names (unknown WABA IDs are skipped, as the row lock finds nothing) and records what it
 * did. It neither re-derives nor audits by itself, so a spec sees only what the command did.
 */
export function changesOn(...wabas: Waba[]): RecordedChanges {
  const recorded: Omit<RecordedChanges, 'changes'> = { applied: [], audited: [], contexts: [] };
  const apply = async (wabaIds: string[], context: ChangeContext, mutate: WabaMutation): Promise<Waba[]> => {
    recorded.contexts.push(context);
    const locked = wabas.filter((waba) => wabaIds.includes(waba.wabaId));
    for (const waba of locked) {
      recorded.applied.push(await mutate(waba));
    }
    return locked;
  };
  const changes = {
    apply,
    applyOne: async (wabaId: string, context: ChangeContext, mutate: WabaMutation) =>
      (await apply([wabaId], context, mutate))[0] ?? null,
    recordFieldChange: (_waba: Waba, _context: ChangeContext, type: AuditEventType) => recorded.audited.push(type),
  } as unknown as WabaChanges;
  return { changes, ...recorded };
}

/** A stored, connected WABA `1001` with no reports applied yet; `overrides` set the fields a spec is about. */
export function storedWaba(overrides: Partial<Waba> = {}): Waba {
  return {
    wabaId: '1001',
    connection: WabaConnection.CONNECTED,
    connectionAt: null,
    disconnectedReason: null,
    disconnectionAt: null,
    accountReviewStatus: 'PENDING',
    accountReviewStatusAt: null,
    mmLiteTermsStatus: null,
    mmLiteTermsStatusAt: null,
    syncFailureCount: 0,
    lastSyncErrorCode: null,
    nextSyncAt: new Date('2026-01-15T12:00:00Z'),
    syncClaimedBy: null,
    syncClaimToken: null,
    webhooksStatus: null,
    webhooksOverrideUri: null,
    webhooksCheckedAt: null,
    webhooksNextCheckAt: null,
    ...overrides,
  } as Waba;
}
