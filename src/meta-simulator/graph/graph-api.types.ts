import type {
  JsonObject,
  JsonValue,
  SimSentMessage,
  SimTokenKind,
  StatusWebhookSettings,
} from 'src/meta-simulator/meta-simulator.types';
import type { SimToken } from 'src/meta-simulator/simulator-state.store';

/** A Graph request after URL, auth and body decoding. */
export interface GraphRequest {
  method: string;
  /** Path without the version prefix, always starting with `/`. */
  path: string;
  segments: string[];
  /** Effective version (the prefix, or the default). */
  version: string;
  query: URLSearchParams;
  /** Query and body parameters merged (body wins). */
  params: JsonObject;
  /** The raw access token (header or parameter), or null. */
  token: string | null;
  /** Origin used to build `paging.next` URLs. */
  origin: string;
}

/** What a handler answers. */
export interface GraphResponse {
  status: number;
  body: JsonValue;
  headers: Record<string, string>;
}

/** Resolved caller identity. */
export interface GraphCaller {
  kind: SimTokenKind;
  record?: SimToken;
}

/** Settings the Graph handlers need from the simulator. */
export interface GraphApiHandlerConfig {
  appId: string;
  appSecret: string;
  appName: string;
  partnerBusinessId: string;
  bucCallBudget: () => number;
  throughputMps: number;
  /** The live settings object: the simulator changes it in place. */
  statusWebhooks: StatusWebhookSettings;
  webhookUrl: () => string | null;
  now: () => Date;
  /** Fire-and-forget delivery of a send's status webhooks, in order, each `delayMs` after the send. */
  emitWebhooks: (steps: Array<{ payload: JsonObject; delayMs: number }>) => void;
  buildWebhook: (field: string, value: JsonObject, entryId: string, time?: number | null) => JsonObject;
  /** Called for every message Meta accepts, before its answer is written (which a fault may lose). */
  onMessageAccepted?: (message: SimSentMessage) => void;
}

/** A 200 answer: every Graph route that does not throw answers 200. */
export function okResponse(body: JsonValue, headers: Record<string, string> = {}): GraphResponse {
  return { status: 200, body, headers };
}
