import type { IncomingMessage, ServerResponse } from 'node:http';

import { isJsonObject, parseBody, readBody, writeJson } from './http-io.util';
import type { MetaSimulator } from './meta-simulator';
import type {
  BusinessTermsStatus,
  CreatePhoneNumberInput,
  FaultRule,
  IssueTokenInput,
  JsonObject,
  JsonValue,
  MarketingPreference,
  RecipientOutcome,
  SendWebhookOptions,
  SimEventType,
  StatusWebhookMode,
} from './meta-simulator.types';

/** A control-API failure answered as `{ "error": { "message" } }` with the given status. */
class ControlApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function requireString(body: JsonObject, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') {
    throw new ControlApiFailure(400, `Body field "${key}" (string) is required`);
  }
  return value;
}

/**
 * The `/_sim/` control API: JSON in and out, no auth, one route per public MetaSimulator method so that
 * e2e tests and the sandbox can drive the simulator over HTTP (routes listed in README.md).
 */
export class ControlApiHandler {
  constructor(private readonly sim: MetaSimulator) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      const raw = await readBody(req);
      const parsed = parseBody(req.headers['content-type'] ?? 'application/json', raw);
      if (!parsed.ok) {
        throw new ControlApiFailure(400, 'Body must be JSON');
      }
      const body: JsonObject = isJsonObject(parsed.value) ? parsed.value : {};
      const segments = url.pathname
        .split('/')
        .filter((segment) => segment !== '')
        .slice(1)
        .map(decodeURIComponent);
      const result = await this.route((req.method ?? 'GET').toUpperCase(), segments, body, url.searchParams);
      writeJson(res, result.status, result.body);
    } catch (error) {
      const status = error instanceof ControlApiFailure ? error.status : 400;
      const message = error instanceof Error ? error.message : 'Unknown error';
      writeJson(res, /^Unknown /.test(message) && status === 400 ? 404 : status, { error: { message } });
    }
  }

  private async route(
    method: string,
    segments: string[],
    body: JsonObject,
    query: URLSearchParams,
  ): Promise<{ status: number; body: JsonValue | object | null }> {
    const [resource, id, sub] = segments;
    // `state/<kind>/<id>` and `tokens/<action>` have literal second segments; elsewhere it is an id.
    const literalSecond = resource === 'state' || (resource === 'tokens' && id !== undefined && sub === undefined);
    const key = literalSecond
      ? `${method} ${resource}/${id ?? ''}`
      : `${method} ${resource ?? ''}${id !== undefined ? '/:id' : ''}${sub !== undefined ? `/${sub}` : ''}`;
    const sim = this.sim;
    switch (key) {
      case 'GET health':
        return { status: 200, body: { ok: true, url: sim.url } };
      case 'POST reset':
        sim.reset();
        return { status: 200, body: { ok: true } };
      case 'POST seed-demo':
        return { status: 201, body: sim.seedDemo() };
      case 'POST businesses':
        return { status: 201, body: sim.createBusiness(body) };
      case 'PUT businesses/:id/terms-status':
      case 'POST businesses/:id/terms-status': {
        const status = body.status;
        if (status !== null && typeof status !== 'string') {
          throw new ControlApiFailure(400, 'Body field "status" must be a string or null');
        }
        sim.setBusinessTermsStatus(id, status as BusinessTermsStatus | null);
        return { status: 200, body: sim.getBusiness(id) ?? null };
      }
      case 'POST wabas':
        return { status: 201, body: sim.createWaba(body) };
      case 'PATCH wabas/:id':
        return { status: 200, body: sim.updateWaba(id, body) };
      case 'POST wabas/:id/events': {
        const type = requireString(body, 'type') as SimEventType;
        const { type: _type, ...params } = body;
        void _type;
        const delivery = await sim.applyEvent(id, type, params);
        return { status: 200, body: { delivery, waba: sim.getWaba(id) ?? null } };
      }
      case 'POST phone-numbers':
        requireString(body, 'wabaId');
        return { status: 201, body: sim.createPhoneNumber(body as unknown as CreatePhoneNumberInput) };
      case 'PATCH phone-numbers/:id':
        return { status: 200, body: sim.updatePhoneNumber(id, body) };
      case 'GET state/wabas': {
        const state = sim.getWabaState(sub ?? '');
        return state ? { status: 200, body: state } : { status: 404, body: { error: { message: 'Unknown WABA' } } };
      }
      case 'GET state/phone-numbers': {
        const phone = sim.getPhoneNumber(sub ?? '');
        return phone
          ? { status: 200, body: phone }
          : { status: 404, body: { error: { message: 'Unknown phone number' } } };
      }
      case 'GET state/businesses': {
        const business = sim.getBusiness(sub ?? '');
        return business
          ? { status: 200, body: business }
          : { status: 404, body: { error: { message: 'Unknown business' } } };
      }
      case 'POST tokens': {
        const token = sim.issueToken(body as unknown as IssueTokenInput);
        return { status: 201, body: { token, tokenId: sim.tokenId(token) } };
      }
      case 'POST tokens/expire':
      case 'POST tokens/invalidate': {
        // The token travels in the body so that it never ends up in URLs or access logs.
        const token = requireString(body, 'token');
        if (id === 'expire') {
          sim.expireToken(token);
        } else {
          sim.invalidateToken(token);
        }
        return { status: 200, body: { ok: true } };
      }
      case 'POST signup-sessions':
        return { status: 201, body: sim.createSignupSession(body) };
      case 'POST faults':
        requireString(body, 'kind');
        return { status: 201, body: { id: sim.injectFault({ path: '', ...body } as unknown as FaultRule) } };
      case 'GET faults':
        return { status: 200, body: sim.listFaults() };
      case 'DELETE faults':
        sim.clearFaults();
        return { status: 200, body: { ok: true } };
      case 'DELETE faults/:id':
        return { status: sim.removeFault(id) ? 200 : 404, body: { ok: true } };
      case 'POST latency': {
        const ms = body.ms;
        if (typeof ms !== 'number' || ms < 0) {
          throw new ControlApiFailure(400, 'Body field "ms" (number ≥ 0) is required');
        }
        sim.setLatency(ms, typeof body.pathPattern === 'string' ? body.pathPattern : undefined);
        return { status: 200, body: { ok: true } };
      }
      case 'POST buc-budget': {
        if (typeof body.budget !== 'number' || body.budget < 1) {
          throw new ControlApiFailure(400, 'Body field "budget" (number ≥ 1) is required');
        }
        sim.setBucCallBudget(body.budget);
        return { status: 200, body: { ok: true } };
      }
      case 'GET requests': {
        const path = query.get('path');
        const methodFilter = query.get('method');
        const entries = sim.requests.filter(
          (entry) =>
            (!path || entry.path.includes(path)) && (!methodFilter || entry.method === methodFilter.toUpperCase()),
        );
        return { status: 200, body: { data: entries } };
      }
      case 'DELETE requests':
        sim.clearRequests();
        return { status: 200, body: { ok: true } };
      case 'GET messages': {
        const to = query.get('to');
        return { status: 200, body: { data: sim.sentMessages.filter((message) => !to || message.to === to) } };
      }
      case 'POST recipients':
        sim.setRecipientOutcome(requireString(body, 'to'), requireString(body, 'outcome') as RecipientOutcome);
        return { status: 200, body: { ok: true } };
      case 'POST phone-numbers/:id/user-preferences': {
        const value = requireString(body, 'value') as MarketingPreference;
        return {
          status: 200,
          body: { delivery: await sim.userPreference(id, requireString(body, 'recipient'), value) },
        };
      }
      case 'GET status-webhooks':
        return { status: 200, body: sim.statusWebhooks };
      case 'PUT status-webhooks':
      case 'POST status-webhooks': {
        const delays = body.delaysMs ?? {};
        if (!isJsonObject(delays)) {
          throw new ControlApiFailure(400, 'Body field "delaysMs" must be an object');
        }
        const mode = (typeof body.mode === 'string' ? body.mode : sim.statusWebhooks.mode) as StatusWebhookMode;
        return { status: 200, body: sim.setStatusWebhooks(mode, delays) };
      }
      case 'PUT webhook-url':
      case 'POST webhook-url':
        sim.setWebhookUrl(typeof body.url === 'string' && body.url !== '' ? body.url : null);
        return { status: 200, body: { url: sim.currentWebhookUrl } };
      case 'GET webhooks':
        return { status: 200, body: { data: sim.webhooks } };
      case 'POST webhooks': {
        const payload = body.payload;
        if (payload === undefined) {
          throw new ControlApiFailure(400, 'Body field "payload" (object or raw string) is required');
        }
        const options: SendWebhookOptions = {};
        if (typeof body.signature === 'string') {
          options.signature = body.signature;
        }
        if (typeof body.url === 'string') {
          options.url = body.url;
        }
        if (typeof body.attempts === 'number') {
          options.attempts = body.attempts;
        }
        if (typeof body.retryDelayMs === 'number') {
          options.retryDelayMs = body.retryDelayMs;
        }
        return { status: 200, body: await sim.sendWebhook(payload, options) };
      }
      default:
        throw new ControlApiFailure(404, `No control route ${method} /_sim/${segments.join('/')}`);
    }
  }
}
