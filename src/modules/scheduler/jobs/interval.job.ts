import { CreateRequestContext, type MikroORM } from '@mikro-orm/core';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';

/**
 * What every periodic job shares: it registers its interval at bootstrap only when `scheduler.enabled`,
 * never overlaps itself on one instance, runs in a fresh ORM context, and logs a failure instead of
 * throwing, so the next tick simply tries again. Subclasses say what to run and how often; tests call
 * `run()` directly.
 */
export abstract class IntervalJob<Result> implements OnApplicationBootstrap {
  protected readonly logger = new Logger(this.constructor.name);
  private running = false;

  protected constructor(
    // Read by @CreateRequestContext().
    protected readonly orm: MikroORM,
    private readonly registry: SchedulerRegistry,
    protected readonly config: ConfigService<AllConfig, true>,
  ) {}

  /** Name in the SchedulerRegistry. */
  protected abstract readonly jobName: string;

  /** Time between ticks. */
  protected abstract intervalMs(): number;

  /** The work of one tick, delegated to the owning module's service. */
  protected abstract work(now: Date): Promise<Result>;

  onApplicationBootstrap(): void {
    if (!this.config.get('scheduler.enabled', { infer: true })) {
      return;
    }
    const intervalMs = this.intervalMs();
    const timer = setInterval(() => void this.run(), intervalMs);
    // The process may exit while a tick is waiting; the shutdown hooks clear the registry's intervals.
    timer.unref();
    this.registry.addInterval(this.jobName, timer);
    this.logger.log(`${this.jobName} scheduled every ${intervalMs} ms`);
  }

  /** Runs one tick now unless one is still running here; returns its result, or null when skipped or failed. */
  async run(now: Date = new Date()): Promise<Result | null> {
    if (this.running) {
      this.logger.debug(`${this.jobName} tick skipped: the previous one is still running`);
      return null;
    }
    this.running = true;
    try {
      return await this.runInContext(now);
    } catch (error) {
      this.logger.error(`${this.jobName} failed: ${error instanceof Error ? error.message : 'unexpected error'}`);
      return null;
    } finally {
      this.running = false;
    }
  }

  @CreateRequestContext()
  private async runInContext(now: Date): Promise<Result> {
    return this.work(now);
  }
}
