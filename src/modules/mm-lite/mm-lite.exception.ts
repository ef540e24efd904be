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

/** Why a template cannot be sent, as the send check found it in the stored templates. */
export type TemplateRefusal = 'MISSING' | 'NOT_APPROVED' | 'NOT_MARKETING';

/**
 * 422 TEMPLATE_NOT_SENDABLE: the stored templates say Meta would refuse this send (contract §5); Meta was not
 * called. The extension members name the template and what was found (status, category, languages).
 */
export class TemplateNotSendableException extends DomainException {
  constructor(
    readonly refusal: TemplateRefusal,
    detail: string,
    field: 'template.name' | 'template.language',
    meta: Record<string, unknown>,
  ) {
    super(ErrorCode.TEMPLATE_NOT_SENDABLE, detail, {
      errors: [{ field, message: messageOf(refusal) }],
      meta: { reason: refusal, ...meta },
    });
  }
}

function messageOf(refusal: TemplateRefusal): string {
  switch (refusal) {
    case 'MISSING':
      return 'names no template of the WABA in this language';
    case 'NOT_APPROVED':
      return 'names a template that is not APPROVED';
    case 'NOT_MARKETING':
      return 'names a template that is not in the MARKETING category';
  }
}
