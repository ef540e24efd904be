import { ErrorCode } from 'src/common/exceptions/error-code';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

import {
  explainMarketingFailure,
  MARKETING_FAILURE_REASONS,
  marketingSendProblem,
  SEND_ERROR_ANSWERS,
} from './marketing-send-failure';

function failure(code: MetaGatewayErrorCode, metaCode: number | null, extra: Record<string, unknown> = {}) {
  return new MetaGatewayException(code, `(#${metaCode}) failed`, { metaCode, fbtraceId: 'Atrace', ...extra });
}

describe(marketingSendProblem.name, () => {
  it.each<[number, ErrorCode]>([
    [131049, ErrorCode.MARKETING_PER_USER_LIMIT],
    [131050, ErrorCode.RECIPIENT_OPTED_OUT],
    [131061, ErrorCode.TEMPLATE_REQUIRES_MM_LITE],
    [131062, ErrorCode.RECIPIENT_TYPE_NOT_SUPPORTED],
    [131063, ErrorCode.MARKETING_DISABLED_ON_CLOUD_API],
    [131064, ErrorCode.WABA_RESTRICTED],
    [134100, ErrorCode.TEMPLATE_NOT_MARKETING],
    [134101, ErrorCode.TEMPLATE_NOT_YET_SYNCED],
    [134102, ErrorCode.MM_LITE_NOT_ONBOARDED],
    [130429, ErrorCode.META_RATE_LIMITED],
    [368, ErrorCode.WABA_RESTRICTED],
    [131031, ErrorCode.WABA_RESTRICTED],
  ])('should answer Meta error %i with %s and advice', (metaCode, expected) => {
    const problem = marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, metaCode));

    expect(problem.code).toBe(expected);
    expect(problem.detail).toContain(SEND_ERROR_ANSWERS[metaCode]?.advice);
    expect(problem.detail).toContain(`#${metaCode}`);
    expect(problem.detail).toContain('Atrace');
    expect(problem.extras.meta).toEqual({ metaCode });
  });

  it('should ask to wait 10 minutes for a syncing template', () => {
    expect(marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, 134101)).extras.retryAfterSeconds).toBe(
      600,
    );
  });

  it("should keep Meta's own retry delay for throughput when it is longer", () => {
    const problem = marketingSendProblem(
      failure(MetaGatewayErrorCode.RATE_LIMITED, 130429, { retryAfterSeconds: 7.2 }),
    );
    expect(problem.extras.retryAfterSeconds).toBe(8);
  });

  it('should name the field the caller must change', () => {
    expect(marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, 134100)).extras.errors).toEqual([
      { field: 'template.name', message: 'refused by Meta (#134100)' },
    ]);
    expect(marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, 131063)).extras.errors).toBeUndefined();
  });

  it('should point recipient refusals at the field the send used, and 131062 at recipient', () => {
    const bsuidSend = (metaCode: number) =>
      marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, metaCode), SendingChannel.MM_LITE, 'recipient')
        .extras.errors;

    expect(bsuidSend(131050)).toEqual([{ field: 'recipient', message: 'refused by Meta (#131050)' }]);
    expect(bsuidSend(131062)).toEqual([{ field: 'recipient', message: 'refused by Meta (#131062)' }]);
    expect(marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, 131050)).extras.errors).toEqual([
      { field: 'to', message: 'refused by Meta (#131050)' },
    ]);
  });

  it('should tell a 131062 refusal to use the phone number or another template', () => {
    const problem = marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, 131062));

    expect(problem.detail).toContain('phone number');
    expect(problem.detail).toContain('another template');
  });

  it("should answer 131064, a messaging-limit enforcement the gateway classes as throttling, with its own advice and not Meta's throttling problem", () => {
    const problem = marketingSendProblem(failure(MetaGatewayErrorCode.RATE_LIMITED, 131064));

    expect(problem.code).toBe(ErrorCode.WABA_RESTRICTED);
    expect(problem.extras.retryAfterSeconds).toBeUndefined();
    expect(problem.detail).toContain('enforcement period');
  });

  it('should fall back to the default mapping for other failures', () => {
    expect(marketingSendProblem(failure(MetaGatewayErrorCode.INVALID_REQUEST, 132001)).code).toBe(
      ErrorCode.META_REQUEST_REJECTED,
    );
    expect(marketingSendProblem(failure(MetaGatewayErrorCode.AUTH_INVALID, 190)).code).toBe(ErrorCode.REAUTH_REQUIRED);
  });

  it('should answer a send whose answer was lost with SEND_OUTCOME_UNKNOWN, telling not to resend', () => {
    const lost = new MetaGatewayException(MetaGatewayErrorCode.OUTCOME_UNKNOWN, 'Graph API call timed out', {
      httpStatus: null,
    });

    const problem = marketingSendProblem(lost, SendingChannel.MM_LITE);

    expect(problem.code).toBe(ErrorCode.SEND_OUTCOME_UNKNOWN);
    expect(problem.detail).toContain('may have been sent');
    expect(problem.detail).toContain('through MM_LITE');
    expect(problem.detail).toContain('Do not send it again');
    expect(problem.extras).toMatchObject({ meta: { channel: SendingChannel.MM_LITE } });
    expect(problem.extras.retryAfterSeconds).toBeUndefined();
  });

  it('should answer a send that cannot have gone with META_UNAVAILABLE, telling a resend is safe', () => {
    const refused = marketingSendProblem(failure(MetaGatewayErrorCode.TRANSIENT, null));
    const transient = marketingSendProblem(failure(MetaGatewayErrorCode.TRANSIENT, 131000));

    expect(refused.code).toBe(ErrorCode.META_UNAVAILABLE);
    expect(refused.detail).toContain('could not be reached');
    expect(transient.detail).toContain('#131000');
    for (const problem of [refused, transient]) {
      expect(problem.detail).toContain('not sent');
      expect(problem.detail).toContain('again later is safe');
    }
  });
});

describe(explainMarketingFailure.name, () => {
  it.each<[number, string, string]>([
    [131049, 'per-user limit', 'Do not retry for 24 h'],
    [131049, 'US numbers since April 2025', 'RECIPIENT_PAUSED'],
    [131050, 'stopped marketing messages', 'Stop sending to them'],
    [131026, 'not on WhatsApp or cannot receive', 'Check the number'],
    [130472, 'experiment', 'Do not retry it now'],
    [131063, 'disabled on Cloud API', 'MM_LITE'],
    [134100, 'marketing templates only', 'Cloud API'],
  ])('should explain Meta failure %i with its reason and action', (code, reason, action) => {
    const failure = explainMarketingFailure(code, "Meta's title", "Meta's details");

    expect(failure).toEqual({
      code,
      title: "Meta's title",
      reason: MARKETING_FAILURE_REASONS[code].reason,
      action: MARKETING_FAILURE_REASONS[code].action,
    });
    expect(failure.reason).toContain(reason);
    expect(failure.action).toContain(action);
  });

  it("should keep Meta's details as the reason of a code the table does not know", () => {
    expect(explainMarketingFailure(131000, 'Something went wrong', 'Message failed to send')).toEqual({
      code: 131000,
      title: 'Something went wrong',
      reason: 'Message failed to send',
      action: expect.stringContaining("Meta's error code reference"),
    });
  });

  it("should fall back to Meta's title, then the code, when Meta gave no details", () => {
    expect(explainMarketingFailure(131000, 'Something went wrong', null).reason).toBe('Something went wrong');
    expect(explainMarketingFailure(131000, null, null).reason).toBe('Meta error #131000.');
  });
});
