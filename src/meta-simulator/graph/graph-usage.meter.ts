import type { JsonValue } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { GraphApiError } from './graph-api.error';
import type { GraphApiHandlerConfig } from './graph-api.types';

/** One WABA's share of its business-use-case budget, as `X-Business-Use-Case-Usage` reports it. */
export interface BucUsageEntry {
  wabaId: string;
  percent: number;
  regainMinutes: number;
}

/** The rate-limit headers of §1.6: `X-App-Usage` on every call, `X-Business-Use-Case-Usage` per WABA. */
export class GraphUsageMeter {
  private appWindow = { startedAt: 0, count: 0 };

  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'bucCallBudget' | 'now'>,
  ) {}

  /** Builds an `X-Business-Use-Case-Usage` header value (§1.6). */
  static bucHeader(entries: BucUsageEntry[]): string {
    const value: Record<string, JsonValue> = {};
    for (const entry of entries.slice(0, 32)) {
      value[entry.wabaId] = [
        {
          type: 'whatsapp_business_management',
          call_count: entry.percent,
          total_cputime: Math.floor(entry.percent / 4),
          total_time: Math.floor(entry.percent / 4),
          estimated_time_to_regain_access: entry.regainMinutes,
        },
      ];
    }
    return JSON.stringify(value);
  }

  /** `X-App-Usage` value: the app's share of its hourly call budget, in percent. */
  appUsage(): string {
    const nowMs = this.config.now().getTime();
    if (nowMs - this.appWindow.startedAt >= 3_600_000) {
      this.appWindow = { startedAt: nowMs, count: 0 };
    }
    this.appWindow.count += 1;
    const percent = Math.min(100, Math.floor(this.appWindow.count / 10_000));
    return JSON.stringify({ call_count: percent, total_time: percent, total_cputime: percent });
  }

  /** Counts one WABA-management call; throws 80008 once over budget. Returns the usage header. */
  countBuc(wabaIds: string[]): Record<string, string> {
    const usage: BucUsageEntry[] = [];
    for (const wabaId of wabaIds) {
      const result = this.state.countBucCall(wabaId, this.config.bucCallBudget());
      usage.push({ wabaId, percent: result.percent, regainMinutes: result.regainMinutes });
      if (result.throttled) {
        throw GraphApiError.bucThrottled({ 'X-Business-Use-Case-Usage': GraphUsageMeter.bucHeader(usage) });
      }
    }
    return { 'X-Business-Use-Case-Usage': GraphUsageMeter.bucHeader(usage) };
  }
}
