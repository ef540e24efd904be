import { randomInt } from 'node:crypto';

import type { JsonObject, SimBusiness, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { renderBusiness } from './business-node.renderer';
import type { GraphAccessPolicy } from './graph-access.policy';
import { GraphApiError } from './graph-api.error';
import {
  type GraphApiHandlerConfig,
  type GraphCaller,
  type GraphRequest,
  type GraphResponse,
  okResponse,
} from './graph-api.types';
import { parseFields, selectionOf } from './graph-fields.util';
import { paginate } from './graph-paging.util';
import { asString, parseFilters, passesFilters, sortText } from './graph-params.util';
import { WABA_LIST_DEFAULT, type WabaNodeRenderer } from './waba-node.renderer';

function permissionsError(): GraphApiError {
  return new GraphApiError({ code: 200, httpStatus: 403, message: '(#200) Permissions error' });
}

/**
 * `/{business}`: the node (with its MM Lite terms status), the partner's WABA lists
 * (`client_whatsapp_business_accounts`, `owned_whatsapp_business_accounts`) and the MM Lite terms request
 * `onboard_partners_to_mm_lite` (§5.2). Business calls do not count against a WABA's BUC budget.
 */
export class BusinessRoute {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'partnerBusinessId' | 'now'>,
    private readonly access: GraphAccessPolicy,
    private readonly wabas: WabaNodeRenderer,
  ) {}

  handle(req: GraphRequest, business: SimBusiness, edge: string | undefined): GraphResponse {
    const caller = this.access.requireUserToken(req.token);
    const isPartner = business.id === this.config.partnerBusinessId;
    if (!isPartner && !this.access.canSeeBusiness(caller, business)) {
      throw GraphApiError.unsupportedRequest(req.method, business.id);
    }
    switch (`${req.method} ${edge ?? ''}`) {
      case 'GET ':
        return okResponse(renderBusiness(business, parseFields(asString(req.params.fields))));
      case 'GET client_whatsapp_business_accounts':
      case 'GET owned_whatsapp_business_accounts': {
        if (
          caller.record?.kind !== 'system_user' &&
          !(caller.record?.businessId === business.id && edge === 'owned_whatsapp_business_accounts')
        ) {
          throw permissionsError();
        }
        const ids =
          edge === 'owned_whatsapp_business_accounts' ? business.wabaIds : isPartner ? this.state.wabaOrder : [];
        return okResponse(this.wabaList(ids, req));
      }
      case 'POST onboard_partners_to_mm_lite':
        return okResponse(this.onboardPartners(caller, business));
      default:
        throw GraphApiError.unsupportedRequest(req.method, edge ? `${business.id}/${edge}` : business.id);
    }
  }

  /** The shared, live WABAs among `ids`, filtered, sorted by creation time when asked, paged. */
  private wabaList(ids: string[], req: GraphRequest): JsonObject {
    const filters = parseFilters(req.params.filtering);
    const sort = sortText(req.params);
    let wabas = ids
      .map((id) => this.state.wabas.get(id))
      .filter((waba): waba is SimWaba => waba !== undefined && waba.state !== 'DELETED' && waba.sharedWithPartner);
    if (filters.length > 0) {
      wabas = wabas.filter((waba) =>
        passesFilters(filters, (field) => this.wabas.render(waba, selectionOf([field]), req, [])),
      );
    }
    if (sort?.includes('creation_time_descending')) {
      wabas = [...wabas].sort((a, b) => b.creationTime - a.creationTime);
    } else if (sort?.includes('creation_time_ascending')) {
      wabas = [...wabas].sort((a, b) => a.creationTime - b.creationTime);
    }
    const selection = parseFields(asString(req.params.fields));
    return paginate(wabas, req, (waba) => this.wabas.render(waba, selection, req, WABA_LIST_DEFAULT), undefined, false);
  }

  /** Sends the MM Lite terms to the business: `REQUEST_SENT` until it signs; a second request is 1752041. */
  private onboardPartners(caller: GraphCaller, business: SimBusiness): JsonObject {
    if (caller.record?.kind !== 'system_user') {
      throw permissionsError();
    }
    if (business.termsStatus?.status === 'TERM_OF_SERVICE_SIGNED') {
      throw GraphApiError.invalidParameter('(#100) Invalid recipient type');
    }
    if (business.termsStatus?.status === 'REQUEST_SENT') {
      throw new GraphApiError({ code: 1752041, httpStatus: 400, message: '(#1752041) Duplicate Request' });
    }
    business.mmRequestId = String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000, 999_999));
    business.termsStatus = { status: 'REQUEST_SENT', time: this.config.now().toISOString().slice(0, 10) };
    return { request_id: business.mmRequestId };
  }
}
