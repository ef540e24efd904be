/** Peak memory of the bench process during one phase, in MiB. */
export interface MemoryPeak {
  phase: string;
  rssMiB: number;
  heapUsedMiB: number;
}

const MIB = 1024 * 1024;

/**
 * Samples `process.memoryUsage()` of the bench process every `intervalMs` and keeps the peak per phase:
 * the simulator, the seeding and the load generators, not the service (its instances are sampled by
 * `Fleet`, test/bench/fleet.ts).
 */
export class MemorySampler {
  readonly peaks: MemoryPeak[] = [];
  private current: MemoryPeak | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 200) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Starts a new phase (ending the previous one). */
  phase(name: string): void {
    this.current = { phase: name, rssMiB: 0, heapUsedMiB: 0 };
    this.peaks.push(this.current);
    this.sample();
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  private sample(): void {
    if (!this.current) {
      return;
    }
    const usage = process.memoryUsage();
    this.current.rssMiB = Math.max(this.current.rssMiB, usage.rss / MIB);
    this.current.heapUsedMiB = Math.max(this.current.heapUsedMiB, usage.heapUsed / MIB);
  }
}
