import type { MetaGatewayErrorCode } from './meta-gateway.exception';

/** One HTTP attempt of a Graph call, as the gateway reports it. */
export interface MetaCallRecord {
  method: string;
  /** Path template without version or query, Meta IDs replaced by `{id}` (`/{id}/phone_numbers`, `/?ids`). */
  endpoint: string;
  /** `ok`, or the class of the failure. */
  outcome: 'ok' | MetaGatewayErrorCode;
  durationMs: number;
}

/** A wait the gateway took or recorded because Meta throttled it. */
export interface MetaBackoffRecord {
  /** `retry`: the gateway slept before retrying; `object`/`app`: Meta paused one business object or the whole app. */
  kind: 'retry' | 'object' | 'app';
  /** Class of the failure that caused it. */
  reason: MetaGatewayErrorCode;
  /** How long, when known. */
  delayMs: number | null;
}

/**
 * Optional observer of the Graph gateway (metrics). The gateway works the same without one; an observer
 * must never throw nor block.
 */
export abstract class MetaCallObserver {
  abstract recordCall(record: MetaCallRecord): void;
  abstract recordBackoff(record: MetaBackoffRecord): void;
}

/** `/v25.0/123/phone_numbers` → `/{id}/phone_numbers`; a multi-ID read is `/?ids`. */
export function endpointTemplate(path: string, hasIds: boolean): string {
  const withoutVersion = path.replace(/^\/v\d+\.\d+(?=\/|$)/, '') || '/';
  if (withoutVersion === '/' && hasIds) {
    return '/?ids';
  }
  return withoutVersion
    .split('/')
    .map((segment) => (/^\d+$/.test(segment) ? '{id}' : segment))
    .join('/');
}
