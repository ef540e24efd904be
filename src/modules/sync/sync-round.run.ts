import type { ClaimedWaba, SyncClaim } from 'src/modules/wabas/waba-sync.types';
import type { Actor } from 'src/modules/organizations/actor';

/** Unit of work of a round: several WABAs read with one token, or one WABA read with its own. */
export type RoundTask =
  { kind: 'group'; wabas: ClaimedWaba[]; token: string; ownToken: boolean } | { kind: 'single'; waba: ClaimedWaba };

/**
 * Turns a claimed batch into tasks: with the platform's system-user token, one group for the batch; else
 * one group per business token, and a single read for a WABA alone with its token or whose token cannot be
 * opened (`openToken` returns null; the failure is then recorded on each WABA's own path).
 */
export function planTasks(
  claimed: ClaimedWaba[],
  systemToken: string,
  openToken: (waba: ClaimedWaba) => string | null,
): RoundTask[] {
  if (claimed.length === 0) {
    return [];
  }
  if (systemToken) {
    return claimed.length === 1
      ? [{ kind: 'single', waba: claimed[0] }]
      : [{ kind: 'group', wabas: claimed, token: systemToken, ownToken: false }];
  }
  const byToken = new Map<string, ClaimedWaba[]>();
  for (const waba of claimed) {
    byToken.set(waba.fingerprint, [...(byToken.get(waba.fingerprint) ?? []), waba]);
  }
  return [...byToken.values()].flatMap<RoundTask>((wabas) => {
    const token = wabas.length > 1 ? openToken(wabas[0]) : null;
    return token
      ? [{ kind: 'group', wabas, token, ownToken: true }]
      : wabas.map<RoundTask>((waba) => ({ kind: 'single', waba }));
  });
}

/**
 * What became of a WABA in a round: `lost` when its claim was taken over before the outcome was recorded
 * (the instance that took it over records it, so this one does not count it).
 */
export type Outcome = 'succeeded' | 'failed' | 'skipped' | 'lost';

/**
 * The shared state of one round on one instance: a queue of tasks fed by claims, taken by the workers,
 * and the claims the round holds. A worker claims the next batch only when the queue is empty; the round
 * is over for this instance when nothing is left to claim, the queue is empty and no task is running (a
 * running group may still push per-WABA fallbacks).
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
  private exhausted = false;
  private claiming: Promise<void> | null = null;
  private waiters: Array<() => void> = [];

  constructor(
    /** Who asked for the round: the audit actor of what it applies. */
    readonly actor: Actor,
    private readonly claim: () => Promise<ClaimedWaba[]>,
    private readonly plan: (claimed: ClaimedWaba[]) => RoundTask[],
  ) {}

  async take(): Promise<RoundTask | null> {
    for (;;) {
      const task = this.queue.shift();
      if (task) {
        this.running += 1;
        return task;
      }
      if (!this.exhausted) {
        this.claiming ??= this.claimNext();
        await this.claiming;
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
      const claimed = await this.claim();
      if (claimed.length === 0) {
        this.exhausted = true;
      }
      for (const waba of claimed) {
        this.held.set(waba.wabaId, waba.claim);
      }
      this.queue.push(...this.plan(claimed));
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
