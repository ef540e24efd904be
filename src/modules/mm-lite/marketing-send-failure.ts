import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { domainExceptionFromMeta } from 'src/modules/meta-gateway/meta-failure.problem';
import { MetaGatewayErrorCode, type MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

import { TEMPLATE_SYNC_RETRY_AFTER_SECONDS } from './mm-lite.constants';
import type { MarketingMessageFailure } from './mm-lite.types';

/**
 * Meta send error codes that have their own answer (graph-api-reference.md §1.5, §5.7; graph-api-2026
 * §A.4.5, §A.6). `field: 'to'` names whichever recipient field the send used (`to` or `recipient`).
 */
export const SEND_ERROR_ANSWERS: Readonly<
  Record<number, { code: ErrorCode; advice: string; field?: string; retryAfterSeconds?: number }>
> = {
  131049: {
    code: ErrorCode.MARKETING_PER_USER_LIMIT,
    advice:
      'Meta did not deliver it to keep marketing engagement healthy (per-user marketing limit). Do not send this user marketing messages again for at least 24 hours.',
    field: 'to',
  },
  131050: {
    code: ErrorCode.RECIPIENT_OPTED_OUT,
    advice:
      'The recipient opted out of marketing messages from this business. Do not retry; send again only after the user opts back in.',
    field: 'to',
  },
  131061: {
    code: ErrorCode.TEMPLATE_REQUIRES_MM_LITE,
    advice:
      "This template has a max price (optimization_spec), which only the Marketing Messages API honours: Cloud API refuses it. Switch the number's sending channel to MM_LITE (the WABA must be onboarded) and send again, or use a template without a max price.",
    field: 'template.name',
  },
  131062: {
    code: ErrorCode.RECIPIENT_TYPE_NOT_SUPPORTED,
    advice:
      "Meta does not deliver this message to a business-scoped user ID (templates with a max price, and one-tap, zero-tap or copy-code authentication templates, need a phone number). Send it to the recipient's phone number in to instead of recipient, or use another template.",
    field: 'recipient',
  },
  131063: {
    code: ErrorCode.MARKETING_DISABLED_ON_CLOUD_API,
    advice:
      "Marketing templates are disabled on Cloud API for this WABA. Switch the number's sending channel to MM_LITE and send again, or turn disable_marketing_messages_on_cloud_api off at Meta.",
  },
  134100: {
    code: ErrorCode.TEMPLATE_NOT_MARKETING,
    advice:
      'MM Lite sends marketing templates only. Use a MARKETING template, or send utility and authentication templates through Cloud API.',
    field: 'template.name',
  },
  134101: {
    code: ErrorCode.TEMPLATE_NOT_YET_SYNCED,
    advice:
      'The template is still syncing to MM Lite (new or reactivated templates take up to 10 minutes). Send again after the Retry-After delay.',
    field: 'template.name',
    retryAfterSeconds: TEMPLATE_SYNC_RETRY_AFTER_SECONDS,
  },
  134102: {
    code: ErrorCode.MM_LITE_NOT_ONBOARDED,
    advice:
      'Meta says the template is unavailable for MM Lite because the WABA is not (or no longer) eligible or onboarded. Refresh the MM Lite panel and check the WABA in Meta Business Manager.',
  },
  130429: {
    code: ErrorCode.META_RATE_LIMITED,
    advice:
      "The number's Cloud API message throughput was reached. Slow down and send again after the Retry-After delay.",
    retryAfterSeconds: 1,
  },
  368: {
    code: ErrorCode.WABA_RESTRICTED,
    advice:
      'Meta temporarily blocked the WABA for a policy violation. Check the account in WhatsApp Manager; sending resumes when Meta lifts the restriction.',
  },
  131064: {
    code: ErrorCode.WABA_RESTRICTED,
    advice:
      "Meta lowered the WABA's messaging limit because its templates broke the template-category rules, and the limit is reached. Sending resumes when Meta's enforcement period ends; check the templates' categories in WhatsApp Manager.",
  },
  131031: {
    code: ErrorCode.WABA_RESTRICTED,
    advice:
      'Meta locked or restricted the WABA, so it cannot send. Check the account in WhatsApp Manager; sending resumes when Meta lifts the restriction.',
  },
};

/**
 * Meta send codes that say the WABA itself is restricted, so its stored status (and its numbers' messaging
 * limits) should be re-read.
 */
export const ACCOUNT_STATE_SEND_ERRORS: ReadonlySet<number> = new Set([368, 131031, 131064]);

/**
 * Meta send codes that say the stored templates are older than Meta's evidence (a template missing, paused,
 * disabled, or not of the category the table says; graph-api-2026 §A.3.1, §A.4.5): the WABA's templates are
 * read again so that the next send is checked against what Meta has now.
 */
export const STALE_TEMPLATE_SEND_ERRORS: ReadonlySet<number> = new Set([131063, 132001, 132015, 132016, 134100]);

/**
 * The problem of a send that revealed stale templates, saying whether the WABA's templates were read again
 * (`templatesRefreshed`): the caller's next send is then checked against them before Meta is called.
 */
export function withTemplatesRefreshed(problem: DomainException, refreshed: boolean): DomainException {
  const sentence = refreshed
    ? " The WABA's templates were read from Meta again, so the next send is checked against them before it goes."
    : " Reading the WABA's templates from Meta again failed; they are read again by the next sync round.";
  return new DomainException(problem.code, `${problem.detail}${sentence}`, {
    ...problem.extras,
    meta: { ...problem.extras.meta, templatesRefreshed: refreshed },
  });
}

/**
 * Turns a failed send into the problem the caller sees: the codes of {@link SEND_ERROR_ANSWERS} get their
 * own code and advice (with Meta's code and trace id for support). A send that may have gone out
 * (OUTCOME_UNKNOWN) is `504 SEND_OUTCOME_UNKNOWN`, which says not to resend; one that cannot have
 * (TRANSIENT) is `502 META_UNAVAILABLE`, which says sending again is safe. Everything else takes the default
 * mapping of Meta failures. `channel` is the channel the send went through; `recipientField` the body field
 * that named the recipient (`to` or `recipient`), which recipient-specific refusals point at.
 */
export function marketingSendProblem(
  error: MetaGatewayException,
  channel?: SendingChannel,
  recipientField: 'to' | 'recipient' = 'to',
  sendId?: string,
): DomainException {
  const metaCode = error.metaCode;
  const answer = metaCode === null ? undefined : SEND_ERROR_ANSWERS[metaCode];
  const trace = error.fbtraceId ? `, fbtrace_id ${error.fbtraceId}` : '';
  if (error.code === MetaGatewayErrorCode.OUTCOME_UNKNOWN) {
    return sendOutcomeUnknownProblem(error, channel, sendId);
  }
  if (!answer && error.code === MetaGatewayErrorCode.TRANSIENT) {
    const cause =
      metaCode === null ? 'Meta could not be reached' : `Meta answered a temporary error (#${metaCode}${trace})`;
    return new DomainException(
      ErrorCode.META_UNAVAILABLE,
      `${cause}, so the message was not sent. Sending it again later is safe.`,
      { meta: { metaCode } },
    );
  }
  if (!answer) {
    return domainExceptionFromMeta(error);
  }
  const retryAfterSeconds =
    answer.retryAfterSeconds === undefined
      ? undefined
      : Math.max(answer.retryAfterSeconds, Math.ceil(error.retryAfterSeconds ?? 0));
  const field = answer.field === 'to' ? recipientField : answer.field;
  return new DomainException(answer.code, `${answer.advice} (Meta error #${metaCode}${trace})`, {
    errors: field ? [{ field, message: `refused by Meta (#${metaCode})` }] : undefined,
    retryAfterSeconds,
    meta: { metaCode },
  });
}

/**
 * The problem of a send whose POST left but whose answer was lost: the message may have been delivered, so
 * the caller must not send it again (a resend could reach the recipient twice). The service keeps no record
 * for the caller to follow the send: the recorded send's `id` (given by the service), else the request id,
 * under which the service log names the number, template and channel.
 */
function sendOutcomeUnknownProblem(
  error: MetaGatewayException,
  channel: SendingChannel | undefined,
  sendId: string | undefined,
): DomainException {
  const via = channel ? ` through ${channel}` : '';
  const lost =
    error.httpStatus === null
      ? 'the connection timed out or was cut before Meta answered'
      : `Meta's ${error.httpStatus} answer could not be read`;
  const trace = error.fbtraceId ? ` (fbtrace_id ${error.fbtraceId})` : '';
  return new DomainException(
    ErrorCode.SEND_OUTCOME_UNKNOWN,
    `The message may have been sent: it left for Meta${via} but ${lost}${trace}. Do not send it again, ` +
      'since a resend could reach the recipient twice; ' +
      (sendId === undefined
        ? "follow it up by this answer's requestId, under which the service logged the number, template and channel."
        : "follow it up by this answer's id: the send is recorded with status UNKNOWN until Meta's status " +
          'webhook for it says what became of it.'),
    { meta: { ...(sendId === undefined ? {} : { id: sendId }), ...(channel ? { channel } : {}) } },
  );
}

/**
 * The one table of why a marketing send failed and what to do about it (`MarketingMessage.failure`), for
 * the failures Meta reports in `failed` status webhooks (graph-api-reference.md §5.7) and the refusals of the
 * send call that a recorded send can end in. A code without a row keeps Meta's title and details.
 */
export const MARKETING_FAILURE_REASONS: Readonly<Record<number, { reason: string; action: string }>> = {
  131049: {
    reason:
      'Meta limited marketing to this user (per-user limit, or a region where marketing is blocked — US numbers since April 2025).',
    action: 'Do not retry for 24 h: sends to this recipient are refused until then (RECIPIENT_PAUSED).',
  },
  131050: {
    reason: 'The user stopped marketing messages from this business.',
    action: 'Stop sending to them: sends are refused (RECIPIENT_OPTED_OUT) until the user resumes marketing messages.',
  },
  131026: {
    reason: 'The recipient is not on WhatsApp or cannot receive this message (old app version, or not accepted terms).',
    action: 'Check the number; do not retry to it until the user is reachable on WhatsApp.',
  },
  130472: {
    reason: "The user is part of Meta's marketing message experiment (a hold-out group).",
    action: 'Nothing to fix: Meta withheld it on purpose. Do not retry it now.',
  },
  131063: {
    reason: 'Marketing templates are disabled on Cloud API for this WABA.',
    action:
      "Switch the number's sending channel to MM_LITE, or turn disable_marketing_messages_on_cloud_api off at Meta.",
  },
  134100: {
    reason: 'MM Lite sends marketing templates only, and this template is not MARKETING.',
    action: 'Use a MARKETING template, or send utility and authentication templates through Cloud API.',
  },
  131061: {
    reason: 'The template has a max price, which only the Marketing Messages API honours.',
    action: "Switch the number's sending channel to MM_LITE, or use a template without a max price.",
  },
  131062: {
    reason: 'Meta does not deliver this template to a business-scoped user ID.',
    action: "Send it to the recipient's phone number instead.",
  },
};

/**
 * A failure as the API and the console show it: the table's reason and action for a known code, else Meta's
 * details (or its title) as the reason and a generic action. A null code is a send that failed before Meta
 * answered with one: it cannot have left (a lost answer stays UNKNOWN instead), so sending again is safe.
 */
export function explainMarketingFailure(
  code: number | null,
  title: string | null,
  details: string | null,
): MarketingMessageFailure {
  if (code === null) {
    return {
      code,
      title,
      reason: details ?? title ?? 'The send failed before Meta answered.',
      action: 'Meta did not take the message, so sending it again is safe.',
    };
  }
  const known = MARKETING_FAILURE_REASONS[code];
  if (known) {
    return { code, title, ...known };
  }
  return {
    code,
    title,
    reason: details ?? title ?? `Meta error #${code}.`,
    action: "See Meta's error code reference for this code before sending to this recipient again.",
  };
}
