import type { AppUsage, BusinessUseCaseUsage } from './meta-gateway.types';

/** Header names as Node lower-cases them. */
export const BUSINESS_USE_CASE_USAGE_HEADER = 'x-business-use-case-usage';
export const APP_USAGE_HEADER = 'x-app-usage';

/**
 * Parses `X-Business-Use-Case-Usage` (graph-api-reference.md §1.6): a JSON string keyed by business object
 * ID, each holding an array of `{type, call_count, total_cputime, total_time, estimated_time_to_regain_access}`.
 * Accepts the raw header (string or string[] as Node may fold it) or an already parsed object. Malformed
 * values, or malformed entries inside a valid value, are skipped rather than thrown: a usage header must
 * never fail a call that otherwise succeeded.
 */
export function parseBusinessUseCaseUsage(value: unknown): BusinessUseCaseUsage[] {
  const parsed = parseHeaderJson(value);
  if (!isRecord(parsed)) {
    return [];
  }
  const usages: BusinessUseCaseUsage[] = [];
  for (const [businessObjectId, rawEntries] of Object.entries(parsed)) {
    // Meta documents an array per object; tolerate a lone object too.
    const entries = Array.isArray(rawEntries) ? rawEntries : [rawEntries];
    for (const entry of entries) {
      if (!isRecord(entry)) {
        continue;
      }
      usages.push({
        businessObjectId,
        type: typeof entry.type === 'string' ? entry.type : 'unknown',
        callCount: toPercent(entry.call_count),
        totalCputime: toPercent(entry.total_cputime),
        totalTime: toPercent(entry.total_time),
        estimatedTimeToRegainAccessMinutes: toPercent(entry.estimated_time_to_regain_access),
      });
    }
  }
  return usages;
}

/** Parses `X-App-Usage` (`{"call_count":28,"total_time":25,"total_cputime":25}`); null when absent or malformed. */
export function parseAppUsage(value: unknown): AppUsage | null {
  const parsed = parseHeaderJson(value);
  if (!isRecord(parsed)) {
    return null;
  }
  if (!('call_count' in parsed) && !('total_time' in parsed) && !('total_cputime' in parsed)) {
    return null;
  }
  return {
    callCount: toPercent(parsed.call_count),
    totalCputime: toPercent(parsed.total_cputime),
    totalTime: toPercent(parsed.total_time),
  };
}

/** The highest of the three usage percentages of an entry. */
export function highestUsagePercent(usage: Pick<AppUsage, 'callCount' | 'totalCputime' | 'totalTime'>): number {
  return Math.max(usage.callCount, usage.totalCputime, usage.totalTime);
}

/** `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: unknown, now: Date = new Date()): number | null {
  const raw: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    return null;
  }
  const text = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    return seconds > 0 ? Math.ceil(seconds) : null;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) {
    return null;
  }
  const seconds = Math.ceil((date - now.getTime()) / 1000);
  return seconds > 0 ? seconds : null;
}

/** Reads a header from a plain object (Node's, names lower-cased) or a Headers-like `get`, case-insensitively. */
export function readHeader(headers: unknown, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) {
    return undefined;
  }
  const lower = name.toLowerCase();
  // Node lower-cases the names of an answer's headers: the common case needs no scan.
  const exact = (headers as Record<string, unknown>)[lower];
  if (exact !== undefined && exact !== null) {
    return exact;
  }
  const withGet = headers as { get?: (key: string) => unknown };
  if (typeof withGet.get === 'function') {
    const value = withGet.get(name);
    if (value !== undefined && value !== null) {
      return value;
    }
  }
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === lower) {
      return value;
    }
  }
  return undefined;
}

/** `x-fb-trace-id`: Graph's trace id of an answer, for when its body carries none. */
export function readFbTraceHeader(headers: unknown): string | null {
  const value = readHeader(headers, 'x-fb-trace-id');
  return typeof value === 'string' && value !== '' ? value : null;
}

function parseHeaderJson(value: unknown): unknown {
  const raw: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof raw !== 'string') {
    return raw;
  }
  const trimmed = raw.trim();
  if (trimmed === '') {
    return null;
  }
  try {
    return JSON.parse(trimmed);
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Numbers sometimes arrive as strings from proxies or older Graph versions; anything unreadable counts as 0.
function toPercent(value: unknown): number {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? number : 0;
}
