import { Injectable } from '@nestjs/common';

/** Width of the window deliveries are counted in. */
const WINDOW_MS = 100;
/**
 * Deliveries per window from which intake is a burst (500/s): a steady trickle leaves processing at full
 * speed; a burst that Meta waits on does not share the instance's CPU with a dozen processing lanes.
 */
const BURST_DELIVERIES_PER_WINDOW = 50;
/** Lanes left to processing during a burst: the backlog still moves, and never starves however long a burst lasts. */
const LANES_DURING_BURST = 1;

/**
 * How busy this instance's webhook intake is, so that intake keeps priority over processing during a burst
 * (the 200 is what Meta waits on; it retries, then disables endpoints that answer slowly): the service notes
 * each delivery it receives, and the worker asks {@link processingLanes} how many lanes it may run now. Counts
 * deliveries in the current and the previous {@link WINDOW_MS} window only: constant memory and time.
 */
@Injectable()
export class WebhookIntakeLoad {
  /** The clock, in milliseconds (a spec sets its own). */
  now: () => number = () => performance.now();
  private windowStart = 0;
  private current = 0;
  private previous = 0;

  /** A delivery is being received. */
  noteDelivery(): void {
    this.roll();
    this.current += 1;
  }

  /** Lanes processing may run now, of its `full` count: one while intake is in a burst, all otherwise. */
  processingLanes(full: number): number {
    this.roll();
    return this.current + this.previous >= BURST_DELIVERIES_PER_WINDOW ? Math.min(full, LANES_DURING_BURST) : full;
  }

  private roll(): void {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) {
      return;
    }
    // One window later, the current count becomes the previous one; later than that, both are stale.
    this.previous = elapsed < 2 * WINDOW_MS ? this.current : 0;
    this.current = 0;
    this.windowStart = now - (elapsed % WINDOW_MS);
  }
}
