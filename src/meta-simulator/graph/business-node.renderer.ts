import { SIM_NODE_TYPE } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject, SimBusiness } from 'src/meta-simulator/meta-simulator.types';

import { GraphApiError } from './graph-api.error';
import { type FieldSelection, renderNode, selectionOf } from './graph-fields.util';

const BUSINESS_DEFAULT = ['id', 'name'];

/** The Business node: name, verification and its MM Lite terms status (§5.2). */
export function renderBusiness(business: SimBusiness, selection: FieldSelection[] | null): JsonObject {
  return renderNode(
    selection ?? selectionOf(BUSINESS_DEFAULT),
    (field) => {
      switch (field.name) {
        case 'id':
          return business.id;
        case 'name':
          return business.name;
        case 'marketing_messages_onboarding_status':
          return business.termsStatus ? { ...business.termsStatus } : undefined;
        case 'verification_status':
          return 'verified';
        default:
          throw GraphApiError.nonexistingField(field.name, SIM_NODE_TYPE.business);
      }
    },
    business.id,
    // Meta's example of the business node's terms status carries no id (fixture), so none is appended.
    false,
  );
}
