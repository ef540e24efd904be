import type { ClaimedWaba, SyncClaim } from 'src/modules/wabas/waba-sync.types';
import type { Actor } from 'src/modules/organizations/actor';

/**
 * Unit of work of a round: several WABAs read with one token, or one WABA read with its own. A group may
 * carry the numbers stored under its WABAs (Meta IDs by WABA) and the WABAs whose templates are due, both
 * read once for the whole claim.
 */
export type RoundTask =
  | {
      kind: 'group';
      wabas: ClaimedWaba[];
      token: string;
      ownToken: boolean;
      numbers?: ReadonlyMap<string, string[]>;
      templatesDue?: ReadonlySet<string>;
    }
  | { kind: 'single'; waba: ClaimedWaba };

/**
 * Turns a claimed batch into tasks of at most `groupSize` WABAs (one multi-ID call's worth): with the
 * platform's system-user token, groups of the batch as claimed; else groups per business token, and a single
 * read for a WABA alone with its token or whose token cannot be opened (`openToken` returns null; the failure
 * is then recorded on each WABA's own path). A group of one is a single read (it lists the WABA's numbers).
 */
export function planTasks(
  claimed: ClaimedWaba[],
  systemToken: string,
  openToken: (waba: ClaimedWaba) => string | null,
  groupSize: number,
): RoundTask[] {
  if (claimed.length === 0) {
    return [];
  }
  if (systemToken) {
    return slices(claimed, groupSize).map<RoundTask>((wabas) =>
      wabas.length === 1
        ? { kind: 'single', waba: wabas[0] }
        : { kind: 'group', wabas, token: systemToken, ownToken: false },
    );
  }
  const byToken = new Map<string, ClaimedWaba[]>();
  for (const waba of claimed) {
    const same = byToken.get(waba.fingerprint);
    if (same) {
      same.push(waba);
    } else {
      byToken.set(waba.fingerprint, [waba]);
    }
  }
  return [...byToken.values()].flatMap<RoundTask>((wabas) => {
    const token = wabas.length > 1 ? openToken(wabas[0]) : null;
    if (!token) {
      return wabas.map<RoundTask>((waba) => ({ kind: 'single', waba }));
    }
    return slices(wabas, groupSize).map<RoundTask>((group) =>
      group.length === 1 ? { kind: 'single', waba: group[0] } : { kind: 'group', wabas: group, token, ownToken: true },
    );
  });
}

function slices<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }
  return result;
}

/**
 * What became of a WABA in a round: `lost` when its claim was taken over before the outcome was recorded
 * (the instance that took it over records it, so this one does not count it).
 */
export type Outcome = 'succeeded' | 'failed' | 'skipped' | 'lost';

/**
 * The shared state of one round on one instance: a queue of tasks fed by claims, taken by the workers,
 * and the claims the round holds. Workers claim only when the queue is empty, one claim at a time, and a
 * claim takes one batch for each worker waiting for work then: workers that run dry together share one
 * statement instead of queueing behind each other's claims (the claims were the round's critical path once
 * Meta answered fast), and the instance still holds only what its idle workers start on at once, never
 * batches claimed ahead of need (another instance's round finds the rest). The round is over for this
 * instance when nothing is left to claim, the queue is empty and no task is running (a running group may
 * still push per-WABA fallbacks).
 */
export class RoundRun {
  readonly counts = { succeeded: 0, failed: 0, skipped: 0 };
  /** WABAs whose claim was taken over before their outcome was recorded here. */
  lostCount = 0;
  claimError: Error | null = null;
  private readonly queue: RoundTask[] = [];
  /** Claims held until released (queued, being read or applied), and not found taken over. */
  private readonly held = new Map<string, SyncClaim>();
  private running = 0;
  /** Workers waiting for the claim under way: the next claim is sized for them. */
  private hungry = 0;
  private exhausted = false;
  private claiming: Promise<void> | null = null;
  private waiters: Array<() => void> = [];

  constructor(
    /** Who asked for the round: the audit actor of what it applies. */
    readonly actor: Actor,
    /** Claims up to `batches` batches (one per waiting worker) under one claim. */
    private readonly claim: (batches: number) => Promise<ClaimedWaba[]>,
    private readonly plan: (claimed: ClaimedWaba[]) => Promise<RoundTask[]>,
  ) {}

  async take(): Promise<RoundTask | null> {
    for (;;) {
      const task = this.queue.shift();
      if (task) {
        this.running += 1;
        return task;
      }
      if (!this.exhausted) {
        this.hungry += 1;
        try {
          this.claiming ??= this.claimNext();
          await this.claiming;
        } finally {
          this.hungry -= 1;
        }
        continue;
      }
      if (this.running === 0) {
        this.wake();
        return null;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  done(): void {
    this.running -= 1;
    this.wake();
  }

  push(tasks: RoundTask[]): void {
    this.queue.push(...tasks);
    this.wake();
  }

  count(outcome: Outcome): void {
    if (outcome === 'lost') {
      this.lostCount += 1;
    } else {
      this.counts[outcome] += 1;
    }
  }

  /** The claims to renew now: the tokens, and which WABA held which (for {@link renewed}). */
  heldClaims(): Map<string, SyncClaim> {
    return new Map(this.held);
  }

  /**
   * Takes in what a renewal of `asked` ({@link heldClaims}) found: a WABA it did not renew, still held under
   * the same claim, was taken over and is dropped from the round.
   */
  renewed(asked: Map<string, SyncClaim>, renewedWabaIds: string[]): void {
    const renewed = new Set(renewedWabaIds);
    for (const [wabaId, claim] of asked) {
      if (!renewed.has(wabaId) && this.held.get(wabaId) === claim) {
        this.held.delete(wabaId);
      }
    }
  }

  /**
   * Whether the round still holds the claim a task has on the WABA, as far as the last renewal knows (a
   * WABA taken over is not read again here; the apply checks the claim once more under a row lock).
   */
  holds(waba: ClaimedWaba): boolean {
    return this.held.get(waba.wabaId) === waba.claim;
  }

  /** The claim on these WABAs was released: it is not renewed any more. */
  released(claim: SyncClaim, wabaIds: string[]): void {
    for (const wabaId of wabaIds) {
      if (this.held.get(wabaId) === claim) {
        this.held.delete(wabaId);
      }
    }
  }

  private async claimNext(): Promise<void> {
    try {
      // One turn first, so that every worker finding the queue empty now (all of them when the round starts)
      // is counted in this claim's size.
      await Promise.resolve();
      const claimed = await this.claim(Math.max(1, this.hungry));
      if (claimed.length === 0) {
        this.exhausted = true;
      }
      for (const waba of claimed) {
        this.held.set(waba.wabaId, waba.claim);
      }
      this.queue.push(...(await this.plan(claimed)));
    } catch (error) {
      this.claimError = error instanceof Error ? error : new Error('Claiming due WABAs failed');
      this.exhausted = true;
    } finally {
      this.claiming = null;
      this.wake();
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }
}
