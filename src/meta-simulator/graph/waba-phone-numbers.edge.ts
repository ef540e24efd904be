import { SIM_DEFAULT_PAGE_LIMIT } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject, SimPhoneNumber, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { GraphApiError } from './graph-api.error';
import type { GraphRequest } from './graph-api.types';
import { type FieldSelection, selectionOf } from './graph-fields.util';
import { paginate } from './graph-paging.util';
import { asString, digits, parseFilters, passesFilters, sortText } from './graph-params.util';
import { PHONE_LIST_DEFAULT, type PhoneNumberNodeRenderer } from './phone-number-node.renderer';

/** The WABA's `phone_numbers` edge (§4.1): the paged list, also expanded inside `fields=`, and adding a number. */
export class WabaPhoneNumbersEdge {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly phones: PhoneNumberNodeRenderer,
  ) {}

  /**
   * The WABA's numbers, newest onboarding first unless sorted `last_onboarded_time_ascending`. A `nested`
   * read (`phone_numbers.limit(n){…}` inside `fields=`) ignores the request's filtering, sort and cursors.
   */
  list(
    waba: SimWaba,
    req: GraphRequest,
    children: FieldSelection[] | null,
    limit: number | undefined,
    nested = false,
  ): JsonObject {
    const filters = nested ? [] : parseFilters(req.params.filtering);
    const sortRaw = nested ? undefined : sortText(req.params);
    const ascending = sortRaw !== undefined && sortRaw.includes('last_onboarded_time_ascending');
    const phones = waba.phoneNumberIds
      .map((id, index) => ({ phone: this.state.phones.get(id), index }))
      .filter((entry): entry is { phone: SimPhoneNumber; index: number } => entry.phone !== undefined)
      .filter(({ phone }) => passesFilters(filters, (field) => this.phones.render(phone, selectionOf([field]), [])))
      .sort((a, b) => {
        const byTime = a.phone.lastOnboardedTime - b.phone.lastOnboardedTime || a.index - b.index;
        return ascending ? byTime : -byTime;
      })
      .map((entry) => entry.phone);
    const selection = children ?? selectionOf(PHONE_LIST_DEFAULT);
    return paginate(
      phones,
      req,
      (phone) => this.phones.render(phone, selection, PHONE_LIST_DEFAULT),
      limit ?? (nested ? SIM_DEFAULT_PAGE_LIMIT : undefined),
      nested,
    );
  }

  /** `POST /{waba}/phone_numbers`: a new `PENDING` number, not yet verified or registered. */
  add(waba: SimWaba, params: JsonObject): JsonObject {
    const cc = asString(params.cc);
    const number = asString(params.phone_number);
    const verifiedName = asString(params.verified_name);
    if (!cc || !number || !verifiedName) {
      throw GraphApiError.invalidParameter('(#100) The parameters cc, phone_number and verified_name are required');
    }
    const phone = this.state.createPhoneNumber({
      wabaId: waba.id,
      displayPhoneNumber: `+${digits(cc)} ${digits(number)}`,
      verifiedName,
      status: 'PENDING',
      platformType: 'NOT_APPLICABLE',
      codeVerificationStatus: 'NOT_VERIFIED',
      nameStatus: 'PENDING_REVIEW',
    });
    return { id: phone.id };
  }
}
