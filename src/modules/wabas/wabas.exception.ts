import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { META_STATUS_REASON_PREFIX, WabaStatusReason } from 'src/modules/wabas/wabas.constants';

/** The stored token was rejected by Meta; a new Embedded Signup is needed before calling Meta again. */
export class ReauthRequiredException extends DomainException {
  constructor(wabaId: string) {
    super(
      ErrorCode.REAUTH_REQUIRED,
      `Meta rejected the stored access token of WABA ${wabaId}; connect a number of this WABA again through Embedded Signup`,
    );
  }
}

const DISABLED_BECAUSE: Partial<Record<string, string>> = {
  [WabaStatusReason.BANNED]: 'Meta banned it',
  [WabaStatusReason.DISCONNECTED]: 'it was disconnected from this platform at Meta',
  [WabaStatusReason.BLOCKED]: "Meta's health check reports it blocked from sending",
};

/**
 * "WABA 123 is disabled (Meta banned it)": the status reason in words, since this text is the `detail` a
 * person reads (the console shows it as it is), never a bare code.
 */
export function wabaDisabledSentence(wabaId: string, reason: string | null): string {
  const because = !reason
    ? null
    : reason.startsWith(META_STATUS_REASON_PREFIX)
      ? `Meta reports its status as ${reason.slice(META_STATUS_REASON_PREFIX.length)}`
      : (DISABLED_BECAUSE[reason] ?? `Meta reports ${reason}`);
  return `WABA ${wabaId} is disabled${because ? ` (${because})` : ''}`;
}

/** The WABA is disabled, so the operation is refused. */
export class WabaDisabledException extends DomainException {
  constructor(wabaId: string, reason: string | null) {
    super(ErrorCode.WABA_DISABLED, wabaDisabledSentence(wabaId, reason));
  }
}
