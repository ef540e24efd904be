import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

import type { MarketingRegionRestriction } from './marketing-regions';

/**
 * The destination is in a region where marketing templates are not delivered; Meta was not called. `field`
 * is the body field that named it: `to` (a number) or `recipient` (a business-scoped user ID's region).
 */
export class MarketingRegionRestrictedException extends DomainException {
  constructor(restriction: MarketingRegionRestriction, field: 'to' | 'recipient' = 'to') {
    const who =
      field === 'to'
        ? `${restriction.name} (+${restriction.callingCode}) numbers`
        : `${restriction.name} users (business-scoped user IDs starting ${restriction.region}.)`;
    super(
      ErrorCode.MARKETING_REGION_RESTRICTED,
      `Marketing messages to ${who} are blocked since ${restriction.since}: ${restriction.reason}. The message was not sent; choose a recipient outside the restricted region.`,
      {
        errors: [{ field, message: `is in a region where marketing messages are blocked (${restriction.region})` }],
        meta: { region: restriction.region },
      },
    );
  }
}
