import { GraphApiError } from 'src/meta-simulator/graph/graph-api.error';
import { GraphUsageMeter } from 'src/meta-simulator/graph/graph-usage.meter';

import { isJsonObject } from './http-io.util';
import type { FaultError, FaultKind, FaultRule, JsonObject, JsonValue } from './meta-simulator.types';

/** What the `malformed` faults answer with status 200: a proxy's error page instead of Graph JSON. */
export const UNREADABLE_BODY = '<!DOCTYPE html><html><body>Sorry, something went wrong.</body></html>';

/** Faults after which Meta has processed the request but its answer is lost on the way back. */
export type AcceptThenFault = Extract<FaultKind, 'accept_then_hang' | 'accept_then_reset' | 'accept_then_malformed'>;

export function isAcceptThenFault(kind: FaultKind): kind is AcceptThenFault {
  return kind === 'accept_then_hang' || kind === 'accept_then_reset' || kind === 'accept_then_malformed';
}

/** Default HTTP status per Graph code (§1.5; Graph's default for the rest is 400). */
function defaultHttpStatus(code: number): number {
  if (code === 190 || code === 0) {
    return 401;
  }
  if ([3, 10, 200, 368, 131031, 130497].includes(code) || (code > 200 && code < 300)) {
    return 403;
  }
  if ([2, 133004].includes(code)) {
    return 503;
  }
  if ([131000, 131016, 131045, 131057, 133000, 134102].includes(code)) {
    return 500;
  }
  return 400;
}

/** A well-formed list page of `items` numbers and no `paging`: all of it in one answer. */
export function oversizedListBody(items: number): string {
  const entries = Array.from(
    { length: items },
    (_unused, index) => `{"id":"${900000000000000 + index}","display_phone_number":"+1 555-${index}"}`,
  );
  return `{"data":[${entries.join(',')}]}`;
}

/**
 * What a `partial` fault makes of a successful answer: the rule's fields left out of (or nulled in) each
 * node it carries, whether the node is the answer, an entry of its `data` list or, for a multi-ID read, one
 * of the IDs' values.
 */
export function partialAnswer(body: JsonValue, rule: FaultRule, multiId: boolean): JsonValue {
  const trim = (node: JsonValue): JsonValue => {
    if (!isJsonObject(node)) {
      return node;
    }
    const copy: JsonObject = { ...node };
    for (const field of rule.omitFields ?? []) {
      delete copy[field];
    }
    for (const field of rule.nullFields ?? []) {
      copy[field] = null;
    }
    if (Array.isArray(copy.data)) {
      copy.data = copy.data.map(trim);
    }
    return copy;
  };
  if (multiId && isJsonObject(body)) {
    return Object.fromEntries(Object.entries(body).map(([id, node]) => [id, trim(node)]));
  }
  return trim(body);
}

/** A fault's explicit `error`, or its kind's default, with the HTTP status Graph gives that code. */
function explicitError(error: FaultError | undefined, fallback: FaultError): GraphApiError {
  const spec = error ?? fallback;
  const httpStatus = spec.httpStatus ?? defaultHttpStatus(spec.code);
  const message = spec.message ?? `(#${spec.code}) Simulated error`;
  if (spec.code === 190) {
    const tokenError = GraphApiError.tokenError(message, spec.subcode);
    return new GraphApiError({ ...spec, message, httpStatus, headers: tokenError.headers });
  }
  return new GraphApiError({ ...spec, message, httpStatus });
}

/** What rendering a fault's error needs to know about the request it hits. */
export interface FaultContext {
  /** The WABA the request's path is about, for the BUC header of `throttle`. */
  wabaOfPath: () => string | null;
  now: () => Date;
}

/** The Graph error an error fault answers with; the other kinds are answered before errors are rendered. */
export function faultError(fault: FaultRule, context: FaultContext): GraphApiError {
  switch (fault.kind) {
    case 'http500':
      return explicitError(fault.error, {
        code: 1,
        httpStatus: 500,
        message: 'An unknown error occurred',
        isTransient: true,
      });
    case 'http503':
      return explicitError(fault.error, {
        code: 2,
        httpStatus: 503,
        message: 'Service temporarily unavailable',
        isTransient: true,
      });
    case 'transient':
      return explicitError(fault.error, {
        code: 131000,
        httpStatus: 500,
        message: '(#131000) Something went wrong',
        details: 'Something went wrong',
      });
    case 'throttle': {
      const wabaId = context.wabaOfPath() ?? 'unknown';
      const regain = fault.regainMinutes ?? 5;
      return GraphApiError.bucThrottled({
        'X-Business-Use-Case-Usage': GraphUsageMeter.bucHeader([{ wabaId, percent: 100, regainMinutes: regain }]),
      });
    }
    case 'app_throttle':
      return GraphApiError.appThrottled({
        'X-App-Usage': JSON.stringify({ call_count: 100, total_time: 100, total_cputime: 100 }),
      });
    case 'waba_throttle':
      return GraphApiError.wabaThrottled();
    case 'expired_token': {
      const now = context.now();
      return GraphApiError.expiredToken(new Date(now.getTime() - 3_600_000), now);
    }
    case 'invalid_token':
      return GraphApiError.invalidatedToken();
    case 'meta_error':
      return explicitError(fault.error, { code: 1, message: 'An unknown error occurred' });
    case 'hang':
    case 'malformed':
    case 'oversized':
    case 'accept_then_hang':
    case 'accept_then_reset':
    case 'accept_then_malformed':
    case 'partial':
      throw new Error(`Fault ${fault.kind} is answered before error rendering`);
    default: {
      const unknown: never = fault.kind;
      throw new Error(`Unknown fault kind ${String(unknown)}`);
    }
  }
}
