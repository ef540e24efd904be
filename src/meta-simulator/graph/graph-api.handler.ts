import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { BusinessRoute } from './business.route';
import { DebugTokenRoute } from './debug-token.route';
import { GraphAccessPolicy } from './graph-access.policy';
import { GraphApiError } from './graph-api.error';
import type { GraphApiHandlerConfig, GraphCaller, GraphRequest, GraphResponse } from './graph-api.types';
import { GraphUsageMeter } from './graph-usage.meter';
import { HealthStatusRenderer } from './health-status.renderer';
import { MessageStatusEmitter } from './message-status.emitter';
import { MessagesRoute } from './messages.route';
import { MultiIdRoute } from './multi-id.route';
import { OAuthAccessTokenRoute } from './oauth-access-token.route';
import { PhoneNumberNodeRenderer } from './phone-number-node.renderer';
import { PhoneNumberRoute } from './phone-number.route';
import { WabaMessageTemplatesEdge } from './waba-message-templates.edge';
import { WabaNodeRenderer } from './waba-node.renderer';
import { WabaPhoneNumbersEdge } from './waba-phone-numbers.edge';
import { WabaSubscribedAppsEdge } from './waba-subscribed-apps.edge';
import { WabaRoute } from './waba.route';

/**
 * The Graph API endpoints of graph-api-reference.md §7.1, answered from {@link SimulatorStateStore}: routes
 * a request by its path to the handler of the Graph node (or edge) it names. Throws {@link GraphApiError}
 * for every failure; the server renders it as Meta's envelope.
 */
export class GraphApiHandler {
  private readonly access: GraphAccessPolicy;
  private readonly usage: GraphUsageMeter;
  private readonly oauth: OAuthAccessTokenRoute;
  private readonly debugToken: DebugTokenRoute;
  private readonly multiId: MultiIdRoute;
  private readonly waba: WabaRoute;
  private readonly phone: PhoneNumberRoute;
  private readonly business: BusinessRoute;

  constructor(
    private readonly state: SimulatorStateStore,
    config: GraphApiHandlerConfig,
  ) {
    this.access = new GraphAccessPolicy(state, config);
    this.usage = new GraphUsageMeter(state, config);
    const health = new HealthStatusRenderer(state, config);
    const phones = new PhoneNumberNodeRenderer(state, config, health);
    const phoneNumbers = new WabaPhoneNumbersEdge(state, phones);
    const subscribedApps = new WabaSubscribedAppsEdge(state, config);
    const messageTemplates = new WabaMessageTemplatesEdge();
    const wabas = new WabaNodeRenderer(state, health, phoneNumbers, subscribedApps, messageTemplates);
    const messages = new MessagesRoute(state, config, new MessageStatusEmitter(state, config));
    this.oauth = new OAuthAccessTokenRoute(state, config);
    this.debugToken = new DebugTokenRoute(state, config, this.access);
    this.multiId = new MultiIdRoute(state, this.access, this.usage, wabas, phones);
    this.waba = new WabaRoute(this.access, this.usage, wabas, phoneNumbers, subscribedApps, messageTemplates);
    this.phone = new PhoneNumberRoute(state, config, this.access, this.usage, phones, messages);
    this.business = new BusinessRoute(state, config, this.access, wabas);
  }

  /** Classifies the caller's token without failing (used for the request log too). */
  identify(token: string | null): GraphCaller {
    return this.access.identify(token);
  }

  /** `X-App-Usage` value of this call (every call counts). */
  appUsage(): string {
    return this.usage.appUsage();
  }

  /** The WABA a path is about (for BUC headers of injected throttles). */
  wabaOfPath(segments: string[]): string | null {
    const id = segments[0];
    if (!id) {
      return null;
    }
    if (this.state.wabas.has(id)) {
      return id;
    }
    return this.state.phones.get(id)?.wabaId ?? id;
  }

  /** Answers one request; `/{id}` and `/{id}/{edge}` go to the handler of the node `id` names. */
  handle(req: GraphRequest): GraphResponse {
    const [first, second, third] = req.segments;
    if (first === undefined) {
      if (req.method === 'GET') {
        return this.multiId.handle(req);
      }
      throw GraphApiError.invalidParameter('(#100) Unsupported operation on the root node');
    }
    if (first === 'oauth' && second === 'access_token' && third === undefined) {
      return this.oauth.handle(req);
    }
    if (first === 'debug_token' && second === undefined) {
      return this.debugToken.handle(req);
    }
    if (req.segments.length > 2) {
      throw GraphApiError.invalidParameter(`Unknown path components: /${req.segments.slice(2).join('/')}`);
    }
    const waba = this.state.wabas.get(first);
    if (waba) {
      return this.waba.handle(req, waba, second);
    }
    const phone = this.state.phones.get(first);
    if (phone) {
      return this.phone.handle(req, phone, second);
    }
    const business = this.state.businesses.get(first);
    if (business) {
      return this.business.handle(req, business, second);
    }
    this.access.requireUserToken(req.token);
    throw GraphApiError.unsupportedRequest(req.method, first);
  }
}
