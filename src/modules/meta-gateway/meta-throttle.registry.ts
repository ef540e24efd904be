import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';

import { describeError } from 'src/common/logging/describe-error';

import {
  META_DEFAULT_THROTTLE_SECONDS,
  META_THROTTLE_APP_SCOPE,
  META_THROTTLE_REFRESH_MS,
  META_THROTTLE_SWEEP_INTERVAL_MS,
  META_USAGE_THROTTLE_PERCENT,
} from './meta-gateway.constants';
import type { AppUsage, BusinessUseCaseUsage } from './meta-gateway.types';
import { MetaThrottleStore } from './meta-throttle.store';
import { highestUsagePercent } from './usage-headers';

/**
 * Memory of Meta's throttling, per business object (WABA) and for the whole app, fed by the usage headers
 * of every Graph response and by throttling errors. It only ever extends a pause: a calmer header on a
 * later response does not cut short a pause Meta asked for.
 *
 * Shared by the instances through a {@link MetaThrottleStore} (PostgreSQL, or Redis with `REDIS_URL`): a
 * pause recorded here is written there at once (without holding up the call that saw it), and every
 * {@link META_THROTTLE_REFRESH_MS} this instance reloads the pauses the others recorded. Reads
 * ({@link throttledUntil}) never query: they answer from this instance's copy, so a pause recorded by
 * another instance is seen here within one refresh (until then it may cost one more call, which Meta
 * answers by throttling again). Without a store (unit tests of the gateway) the pauses stay in this
 * instance.
 */
@Injectable()
export class MetaThrottleRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MetaThrottleRegistry.name);
  private readonly objectPauses = new Map<string, number>();
  private appPausedUntil = 0;
  private readonly writes = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private lastSweepAt = 0;
  private lastWarningAt = 0;

  // The explicit token: a union type's metadata is Object, which would inject nothing.
  constructor(@Optional() @Inject(MetaThrottleStore) private readonly store: MetaThrottleStore | null = null) {}

  onModuleInit(): void {
    if (!this.store) {
      return;
    }
    this.timer = setInterval(() => void this.refresh(), META_THROTTLE_REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  /** Stops reloading and lets the writes under way finish (the pool closes after this). */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    // Bounded: a database that does not answer must not hold up the shutdown.
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.writes, ...(this.refreshing ? [this.refreshing] : [])]),
      new Promise((resolve) => {
        timeout = setTimeout(resolve, META_THROTTLE_REFRESH_MS * 2);
      }),
    ]);
    clearTimeout(timeout);
  }

  /**
   * Reloads the pauses every instance recorded into this instance's copy (extending only), and now and then
   * deletes the expired ones. Runs on its own every {@link META_THROTTLE_REFRESH_MS}; one at a time.
   */
  async refresh(now: number = Date.now()): Promise<void> {
    if (!this.store) {
      return;
    }
    this.refreshing ??= this.reload(this.store, now).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /**
   * Records `X-Business-Use-Case-Usage` entries: an object is paused for `estimated_time_to_regain_access`
   * minutes when Meta gives one, else for a default pause when any percentage is at or above the threshold.
   */
  recordBusinessUseCaseUsage(usages: BusinessUseCaseUsage[], now: Date = new Date()): void {
    for (const usage of usages) {
      const seconds = pauseSeconds(highestUsagePercent(usage), usage.estimatedTimeToRegainAccessMinutes);
      if (seconds !== null) {
        this.pauseObject(usage.businessObjectId, seconds, now);
      }
    }
  }

  /** Records `X-App-Usage`: the app as a whole is near its platform limit (code 4 territory). */
  recordAppUsage(usage: AppUsage | null, now: Date = new Date()): void {
    if (!usage) {
      return;
    }
    const seconds = pauseSeconds(highestUsagePercent(usage), 0);
    if (seconds !== null) {
      this.pauseApp(seconds, now);
    }
  }

  /** Pauses one business object, e.g. after 80007/80008 for that WABA; shared with every instance. */
  pauseObject(businessObjectId: string, seconds: number | null, now: Date = new Date()): void {
    const until = now.getTime() + (seconds ?? META_DEFAULT_THROTTLE_SECONDS) * 1000;
    if (this.extendObject(businessObjectId, until)) {
      this.share(businessObjectId, until);
    }
  }

  /** Pauses every call of the app, e.g. after code 4; shared with every instance. */
  pauseApp(seconds: number | null, now: Date = new Date()): void {
    const until = now.getTime() + (seconds ?? META_DEFAULT_THROTTLE_SECONDS) * 1000;
    if (until > this.appPausedUntil) {
      this.appPausedUntil = until;
      this.share(META_THROTTLE_APP_SCOPE, until);
    }
  }

  /**
   * Until when callers should not call Meta for this object: the later of its own pause and an app-wide
   * pause; null when neither is in the future. Answered from this instance's copy, without a query.
   */
  throttledUntil(businessObjectId: string, now: Date = new Date()): Date | null {
    const objectUntil = this.objectPauses.get(businessObjectId) ?? 0;
    if (objectUntil !== 0 && objectUntil <= now.getTime()) {
      // Expired entries are dropped so the map does not grow with every WABA ever throttled.
      this.objectPauses.delete(businessObjectId);
    }
    const until = Math.max(objectUntil, this.appPausedUntil);
    return until > now.getTime() ? new Date(until) : null;
  }

  private extendObject(businessObjectId: string, until: number): boolean {
    if (until > (this.objectPauses.get(businessObjectId) ?? 0)) {
      this.objectPauses.set(businessObjectId, until);
      return true;
    }
    return false;
  }

  /** Writes a pause to the shared store in the background; the Graph call that saw it does not wait. */
  private share(scope: string, until: number): void {
    if (!this.store) {
      return;
    }
    const write = this.store
      .pause(scope, until)
      .catch((error: unknown) => this.warn(`Meta throttle pause not shared: ${messageOf(error)}`))
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  private async reload(store: MetaThrottleStore, now: number): Promise<void> {
    try {
      for (const pause of await store.active()) {
        if (pause.scope === META_THROTTLE_APP_SCOPE) {
          this.appPausedUntil = Math.max(this.appPausedUntil, pause.untilMs);
        } else if (pause.untilMs > now) {
          this.extendObject(pause.scope, pause.untilMs);
        }
      }
      if (now - this.lastSweepAt >= META_THROTTLE_SWEEP_INTERVAL_MS) {
        this.lastSweepAt = now;
        await store.sweep(now - META_THROTTLE_SWEEP_INTERVAL_MS);
      }
    } catch (error) {
      this.warn(`Meta throttle pauses not reloaded: ${messageOf(error)}`);
    }
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt >= META_THROTTLE_SWEEP_INTERVAL_MS) {
      this.lastWarningAt = now;
      this.logger.warn(message);
    }
  }
}

function pauseSeconds(highestPercent: number, etaMinutes: number): number | null {
  if (etaMinutes > 0) {
    return Math.ceil(etaMinutes * 60);
  }
  return highestPercent >= META_USAGE_THROTTLE_PERCENT ? META_DEFAULT_THROTTLE_SECONDS : null;
}

/** Class and code (SQLSTATE) only: a database error's message may quote the statement. */
function messageOf(error: unknown): string {
  const { type, code } = describeError(error);
  return code ? `${type} ${code}` : type;
}
