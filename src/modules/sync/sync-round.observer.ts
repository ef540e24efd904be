import type { SyncRoundResult } from './sync-round.types';

/**
 * Optional observer of re-sync rounds (metrics). Told once per round on this instance, whether it ended or
 * failed; must never throw.
 */
export abstract class SyncRoundObserver {
  /** `result` is what the round did; `failed` when the database failed under it (the round threw). */
  abstract recordRound(result: SyncRoundResult, failed: boolean): void;
}
