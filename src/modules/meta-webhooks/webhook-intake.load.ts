import { Injectable } from '@nestjs/common';

import { WEBHOOK_BATCH_WABAS } from './meta-webhooks.constants';

/** Width of the window deliveries are counted in. */
const WINDOW_MS = 100;
/**
 * Deliveries per window from which intake is a burst (500/s): a steady trickle leaves processing at full
 * speed; a burst that Meta waits on does not share the instance's CPU with a dozen processing lanes.
 */
const BURST_DELIVERIES_PER_WINDOW = 50;
/**
 * Deliveries per window that arrive while another is still being received on this instance, from which intake
 * is a burst too. Several instances behind one address each see a share of the fleet's rate (4 instances of a
 * 900/s burst: 225/s each, no burst by rate), but still several deliveries at once; a delivery arriving alone
 * (a trickle, or one posted after the other) never counts. Without it, each instance of a fleet would run
 * every lane and claim a handful of rows as each delivery is stored, and a burst on 4 instances cost the
 * machine over twice the CPU per delivery that it costs on one.
 */
const BURST_CONCURRENT_PER_WINDOW = 10;
/** Lanes left to processing during a burst: the backlog still moves, and never starves however long a burst lasts. */
const LANES_DURING_BURST = 1;
/**
 * During a burst, the worker claims once this many deliveries were stored since its last claim (a lane's
 * batch of WABAs), or once the first of them waited {@link GATHER_MS}: a claim of a handful of rows costs
 * its statements and its transaction for few changes (2–2.6× the CPU per change of a full batch), CPU the
 * deliveries Meta waits on need.
 */
const GATHER_DELIVERIES = WEBHOOK_BATCH_WABAS;
/** Longest a stored delivery waits for company before the worker claims it during a burst. */
const GATHER_MS = 50;

/**
 * How busy this instance's webhook intake is, so that intake keeps priority over processing during a burst
 * (the 200 is what Meta waits on; it retries, then disables endpoints that answer slowly): the service notes
 * each delivery it receives and when it answered it, and the worker asks {@link processingLanes} how many
 * lanes it may run now. Counts deliveries in the current and the previous {@link WINDOW_MS} window only:
 * constant memory and time.
 */
@Injectable()
export class WebhookIntakeLoad {
  /** The clock, in milliseconds (a spec sets its own). */
  now: () => number = () => performance.now();
  private windowStart = 0;
  private current = 0;
  private previous = 0;
  /** Of `current` and `previous`, the deliveries that arrived while another was being received. */
  private currentConcurrent = 0;
  private previousConcurrent = 0;
  /** Deliveries being received now (noted, not yet answered). */
  private receiving = 0;
  /** Deliveries stored since the worker's last claim, and when the first of them was stored. */
  private storedSinceClaim = 0;
  private firstStoredAt: number | null = null;

  /** A delivery is being received; {@link noteAnswered} once it is stored (or refused). */
  noteDelivery(): void {
    this.roll();
    this.current += 1;
    if (this.receiving > 0) {
      this.currentConcurrent += 1;
    }
    this.receiving += 1;
  }

  /** A delivery noted by {@link noteDelivery} was answered. */
  noteAnswered(): void {
    this.receiving = Math.max(0, this.receiving - 1);
  }

  /** A delivery was stored: it waits for the worker's next claim. */
  noteStored(): void {
    this.storedSinceClaim += 1;
    this.firstStoredAt ??= this.now();
  }

  /** The worker claims now: whatever was stored until now is its to take. */
  noteClaim(): void {
    this.storedSinceClaim = 0;
    this.firstStoredAt = null;
  }

  /** Lanes processing may run now, of its `full` count: one while intake is in a burst, all otherwise. */
  processingLanes(full: number): number {
    return this.inBurst() ? Math.min(full, LANES_DURING_BURST) : full;
  }

  /**
   * How long the worker should still gather stored deliveries before it claims, in milliseconds: 0 (claim
   * now) outside a burst, once {@link GATHER_DELIVERIES} were stored since its last claim, or once the first
   * of them waited {@link GATHER_MS}.
   */
  claimDelayMs(): number {
    if (this.firstStoredAt === null || this.storedSinceClaim >= GATHER_DELIVERIES || !this.inBurst()) {
      return 0;
    }
    return Math.max(0, GATHER_MS - (this.now() - this.firstStoredAt));
  }

  private inBurst(): boolean {
    this.roll();
    return (
      this.current + this.previous >= BURST_DELIVERIES_PER_WINDOW ||
      this.currentConcurrent + this.previousConcurrent >= BURST_CONCURRENT_PER_WINDOW
    );
  }

  private roll(): void {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) {
      return;
    }
    // One window later, the current count becomes the previous one; later than that, both are stale.
    const adjacent = elapsed < 2 * WINDOW_MS;
    this.previous = adjacent ? this.current : 0;
    this.previousConcurrent = adjacent ? this.currentConcurrent : 0;
    this.current = 0;
    this.currentConcurrent = 0;
    this.windowStart = now - (elapsed % WINDOW_MS);
  }
}
