import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

import type { MarketingRegionRestriction } from './marketing-regions';

/** The destination is in a region where marketing templates are not delivered; Meta was not called. */
export class MarketingRegionRestrictedException extends DomainException {
  constructor(restriction: MarketingRegionRestriction) {
    super(
      ErrorCode.MARKETING_REGION_RESTRICTED,
      `Marketing messages to ${restriction.name} (+${restriction.callingCode}) numbers are blocked since ${restriction.since}: ${restriction.reason}. The message was not sent; choose a recipient outside the restricted region.`,
      {
        errors: [
          { field: 'to', message: `is in a region where marketing messages are blocked (${restriction.region})` },
        ],
        meta: { region: restriction.region },
      },
    );
  }
}
