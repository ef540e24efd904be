import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { GraphApiError } from 'src/meta-simulator/graph/graph-api.error';
import type { GraphApiHandler } from 'src/meta-simulator/graph/graph-api.handler';
import type { GraphRequest } from 'src/meta-simulator/graph/graph-api.types';

import type { BoundedLog } from './bounded-log';
import { faultError, isAcceptThenFault, oversizedListBody, partialAnswer, UNREADABLE_BODY } from './fault-answer.util';
import type { FaultInjector } from './fault.injector';
import { isJsonObject, paramsFromSearch, parseBody, readBody, writeJson, writeRaw } from './http-io.util';
import { SIM_OVERSIZED_ITEMS, SIM_REDACTED, SIM_REDACTED_KEYS } from './meta-simulator.constants';
import type { JsonObject, JsonValue, SimRequestLogEntry } from './meta-simulator.types';
import type { SimulatorHttpServer } from './simulator-http.server';
import { tokenIdOf } from './simulator-state.store';

const VERSION_PREFIX = /^\/(v\d+(?:\.\d+)?)(?=\/|$)/;

const JSON_CONTENT_TYPE = { 'Content-Type': 'application/json; charset=UTF-8' };

function traceId(): string {
  return randomBytes(16)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 23);
}

function redact(value: JsonValue | null): JsonValue | null {
  if (!isJsonObject(value)) {
    return value;
  }
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SIM_REDACTED_KEYS.has(key) ? SIM_REDACTED : item;
  }
  return copy;
}

/** What {@link GraphHttpEndpoint} works with. */
export interface GraphHttpEndpointDeps {
  graph: GraphApiHandler;
  faults: FaultInjector;
  log: BoundedLog<SimRequestLogEntry>;
  server: SimulatorHttpServer;
  now: () => Date;
  /** Version assumed when a path carries none. */
  defaultVersion: string;
  /** Called after every non-GET call, answered or failed: it may have changed exported state. */
  onStateChange: () => void;
}

/**
 * One Graph call over HTTP: decodes version, path, parameters and token, logs the call, applies latency and
 * faults, asks the {@link GraphApiHandler} and writes Meta's answer or error envelope with its headers.
 */
export class GraphHttpEndpoint {
  constructor(private readonly deps: GraphHttpEndpointDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { graph, faults, server } = this.deps;
    const method = (req.method ?? 'GET').toUpperCase();
    const versionMatch = VERSION_PREFIX.exec(url.pathname);
    const versionPrefix = versionMatch ? versionMatch[1] : null;
    const rest = versionMatch ? url.pathname.slice(versionMatch[0].length) : url.pathname;
    const segments = rest
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => decodeURIComponent(segment));
    const path = `/${segments.join('/')}`;
    const version = versionPrefix ?? this.deps.defaultVersion;

    const raw = await readBody(req).catch(() => Buffer.alloc(0));
    const parsed = parseBody(req.headers['content-type'], raw);
    const body = parsed.ok ? parsed.value : null;
    const params: JsonObject = { ...paramsFromSearch(url.searchParams), ...(isJsonObject(body) ? body : {}) };
    const authorization = req.headers.authorization;
    const bearer =
      authorization && /^(Bearer|OAuth)\s+/i.test(authorization) ? authorization.replace(/^\S+\s+/, '').trim() : null;
    const token = bearer ?? (typeof params.access_token === 'string' ? params.access_token : null);

    const trace = traceId();
    const headers: Record<string, string> = {
      'facebook-api-version': version,
      'x-fb-trace-id': trace,
      'x-fb-request-id': traceId(),
      'x-fb-rev': '1020304050',
      'X-App-Usage': graph.appUsage(),
      'Cache-Control': 'private, no-cache, no-store, must-revalidate',
    };
    const entry = this.logEntry({ method, path, versionPrefix, url, body, token, segments, params });

    await server.delay(faults.latencyFor(path));
    const fault = faults.take(method, path);
    if (fault?.kind === 'hang') {
      // Never answer: the client's timeout is what is under test. stop() drops the socket.
      server.hold(res);
      return;
    }
    if (fault?.kind === 'oversized') {
      entry.status = 200;
      writeRaw(res, 200, oversizedListBody(fault.items ?? SIM_OVERSIZED_ITEMS), { ...headers, ...JSON_CONTENT_TYPE });
      return;
    }
    if (fault?.kind === 'malformed') {
      entry.status = 200;
      writeRaw(res, 200, UNREADABLE_BODY, { ...headers, ...JSON_CONTENT_TYPE });
      return;
    }
    // `accept_then_*`: Meta processes the request (a send goes out), then its answer is lost on the way back.
    const answerLost = fault && isAcceptThenFault(fault.kind) ? fault.kind : null;
    const answer = (status: number, answerBody: JsonValue, extra: Record<string, string>): void => {
      entry.status = status;
      switch (answerLost) {
        case null:
          writeJson(res, status, answerBody, { ...headers, ...extra });
          return;
        case 'accept_then_hang':
          server.hold(res);
          return;
        case 'accept_then_reset':
          // A TCP reset, as a proxy or a dropped connection would give, rather than a clean close.
          res.socket?.resetAndDestroy();
          return;
        case 'accept_then_malformed':
          writeRaw(res, 200, UNREADABLE_BODY, { ...headers, ...JSON_CONTENT_TYPE });
          return;
      }
    };
    try {
      if (fault && !answerLost && fault.kind !== 'partial') {
        throw faultError(fault, { wabaOfPath: () => graph.wabaOfPath(segments), now: this.deps.now });
      }
      if (!parsed.ok) {
        throw GraphApiError.invalidParameter('(#100) Invalid JSON in the request body');
      }
      const request: GraphRequest = {
        method,
        path,
        segments,
        version,
        query: url.searchParams,
        params,
        token,
        origin: server.url,
      };
      const response = graph.handle(request);
      const responseBody =
        fault?.kind === 'partial' && response.status === 200
          ? partialAnswer(response.body, fault, segments.length === 0)
          : response.body;
      answer(response.status, responseBody, response.headers);
    } catch (error) {
      const graphError =
        error instanceof GraphApiError
          ? error
          : new GraphApiError({ code: 1, httpStatus: 500, message: 'An unknown error occurred', isTransient: true });
      answer(graphError.httpStatus, graphError.toBody(trace), graphError.headers);
    } finally {
      // Writes (register, subscribe, PIN, MM Lite onboarding…) may change state even when they fail (the
      // registration limit counts attempts); reads only touch rate counters, which are not persisted.
      if (method !== 'GET' && method !== 'HEAD') {
        this.deps.onStateChange();
      }
    }
  }

  /** Appends the call to the request log, secrets redacted; its status is filled in when answered. */
  private logEntry(call: {
    method: string;
    path: string;
    versionPrefix: string | null;
    url: URL;
    body: JsonValue | null;
    token: string | null;
    segments: string[];
    params: JsonObject;
  }): SimRequestLogEntry {
    const query: Record<string, string> = {};
    call.url.searchParams.forEach((value, key) => {
      query[key] = SIM_REDACTED_KEYS.has(key) ? SIM_REDACTED : value;
    });
    const entry: SimRequestLogEntry = {
      method: call.method,
      path: call.path,
      version: call.versionPrefix,
      query,
      body: redact(call.body),
      tokenKind: this.deps.graph.identify(call.token).kind,
      status: 0,
      at: this.deps.now().toISOString(),
    };
    if (call.token) {
      entry.tokenId = tokenIdOf(call.token);
    }
    if (call.segments.length === 0 && typeof call.params.ids === 'string') {
      entry.ids = call.params.ids
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== '');
    }
    this.deps.log.push(entry);
    return entry;
  }
}
