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

/**
 * 422 RECIPIENT_OPTED_OUT before Meta: the user stopped marketing messages from this business (a 131050
 * failure or a `user_preferences` stop), so a send would fail. `field` is the body field that named them.
 */
export class RecipientOptedOutException extends DomainException {
  constructor(wabaId: string, field: 'to' | 'recipient') {
    super(
      ErrorCode.RECIPIENT_OPTED_OUT,
      `The recipient stopped marketing messages from this business (WABA ${wabaId}), so the message was not ` +
        'sent. Sends to them are refused until they resume marketing messages in WhatsApp: Meta then sends a ' +
        'user_preferences "resume" webhook, which clears this.',
      { errors: [{ field, message: 'opted out of marketing messages from this business' }] },
    );
  }
}

/**
 * 422 RECIPIENT_PAUSED before Meta, with `Retry-After`: Meta limited marketing to this user (a 131049 failure)
 * less than 24 h ago. `until` is when sends may go again.
 */
export class RecipientPausedException extends DomainException {
  constructor(until: Date, now: Date, field: 'to' | 'recipient') {
    super(
      ErrorCode.RECIPIENT_PAUSED,
      'Meta limited marketing messages to this recipient (per-user marketing limit, or a region where marketing ' +
        `is blocked) less than 24 h ago, so the message was not sent. Send again after ${until.toISOString()}.`,
      {
        errors: [{ field, message: 'marketing to this recipient is paused by Meta for 24 h' }],
        retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)),
        meta: { pausedUntil: until.toISOString() },
      },
    );
  }
}
