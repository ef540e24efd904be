import { Injectable } from '@nestjs/common';

import { META_DEFAULT_THROTTLE_SECONDS, META_USAGE_THROTTLE_PERCENT } from './meta-gateway.constants';
import type { AppUsage, BusinessUseCaseUsage } from './meta-gateway.types';
import { highestUsagePercent } from './usage-headers';

/**
 * In-process memory of Meta's throttling, per business object (WABA) and for the whole app, fed by the
 * usage headers of every Graph response and by throttling errors. It only ever extends a pause: a
 * calmer header on a later response does not cut short a pause Meta asked for.
 *
 * Per instance on purpose: each service instance sees its own responses, and the worst case (another
 * instance calls once more and is told to wait) costs one call.
 */
@Injectable()
export class MetaThrottleRegistry {
  private readonly objectPauses = new Map<string, number>();
  private appPausedUntil = 0;

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

  /** Pauses one business object, e.g. after 80007/80008 for that WABA. */
  pauseObject(businessObjectId: string, seconds: number | null, now: Date = new Date()): void {
    const until = now.getTime() + (seconds ?? META_DEFAULT_THROTTLE_SECONDS) * 1000;
    if (until > (this.objectPauses.get(businessObjectId) ?? 0)) {
      this.objectPauses.set(businessObjectId, until);
    }
  }

  /** Pauses every call of the app, e.g. after code 4. */
  pauseApp(seconds: number | null, now: Date = new Date()): void {
    this.appPausedUntil = Math.max(
      this.appPausedUntil,
      now.getTime() + (seconds ?? META_DEFAULT_THROTTLE_SECONDS) * 1000,
    );
  }

  /**
   * Until when callers should not call Meta for this object: the later of its own pause and an app-wide
   * pause; null when neither is in the future.
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
}

function pauseSeconds(highestPercent: number, etaMinutes: number): number | null {
  if (etaMinutes > 0) {
    return Math.ceil(etaMinutes * 60);
  }
  return highestPercent >= META_USAGE_THROTTLE_PERCENT ? META_DEFAULT_THROTTLE_SECONDS : null;
}
