import { SIM_MAX_MULTI_IDS } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { renderBusiness } from './business-node.renderer';
import type { GraphAccessPolicy } from './graph-access.policy';
import { GraphApiError } from './graph-api.error';
import { type GraphRequest, type GraphResponse, okResponse } from './graph-api.types';
import { parseFields } from './graph-fields.util';
import { asString } from './graph-params.util';
import type { GraphUsageMeter } from './graph-usage.meter';
import { PHONE_NODE_DEFAULT, type PhoneNumberNodeRenderer } from './phone-number-node.renderer';
import { WABA_NODE_DEFAULT, type WabaNodeRenderer } from './waba-node.renderer';

/** The ids of `?ids=`, trimmed, without blanks and duplicates, in the order given. */
function parseIds(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    ),
  ];
}

/** `GET /?ids=a,b&fields=`: several WABAs, numbers or businesses in one read, keyed by id (§1.9). */
export class MultiIdRoute {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly access: GraphAccessPolicy,
    private readonly usage: GraphUsageMeter,
    private readonly wabas: WabaNodeRenderer,
    private readonly phones: PhoneNumberNodeRenderer,
  ) {}

  handle(req: GraphRequest): GraphResponse {
    const raw = asString(req.params.ids);
    if (raw === undefined || raw.trim() === '') {
      throw GraphApiError.invalidParameter('(#100) Missing ids parameter');
    }
    const caller = this.access.requireUserToken(req.token);
    const ids = parseIds(raw);
    if (ids.length > SIM_MAX_MULTI_IDS) {
      throw GraphApiError.invalidParameter(
        `(#100) Too many IDs. Maximum: ${SIM_MAX_MULTI_IDS}. Provided: ${ids.length}.`,
      );
    }
    const selection = parseFields(asString(req.params.fields));
    const bucWabas: string[] = [];
    // Every id is checked and counted before any is rendered, so a failure renders nothing.
    const nodes: Array<() => JsonObject> = [];
    for (const id of ids) {
      const waba = this.state.wabas.get(id);
      const phone = waba ? undefined : this.state.phones.get(id);
      const business = waba || phone ? undefined : this.state.businesses.get(id);
      if (waba && this.access.canSeeWaba(caller, waba)) {
        bucWabas.push(waba.id);
        nodes.push(() => this.wabas.render(waba, selection, req, WABA_NODE_DEFAULT));
      } else if (phone && this.access.canSeePhone(caller, phone)) {
        bucWabas.push(phone.wabaId);
        nodes.push(() => this.phones.render(phone, selection, PHONE_NODE_DEFAULT));
      } else if (business && this.access.canSeeBusiness(caller, business)) {
        nodes.push(() => renderBusiness(business, selection));
      } else {
        // One unknown or inaccessible id fails the whole request (§1.9).
        throw GraphApiError.unsupportedRequest('GET', id);
      }
    }
    const headers = bucWabas.length > 0 ? this.usage.countBuc(bucWabas) : {};
    const body: JsonObject = {};
    ids.forEach((id, index) => {
      body[id] = nodes[index]();
    });
    return okResponse(body, headers);
  }
}
