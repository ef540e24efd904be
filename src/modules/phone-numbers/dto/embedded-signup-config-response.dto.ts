import { ApiProperty } from '@nestjs/swagger';

/** `extras` of `FB.login`, passed as given; v4 keeps it "purposely empty" (graph-api-2026 §A.7). */
export class EmbeddedSignupExtrasDto {
  /**
   * Prefill data for the flow (business, phone number…); empty when there is none. Feature types,
   * `sessionInfoVersion` and `version: "v2"/"v3"` were v2/v3 knobs and are not sent any more.
   */
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  setup: Record<string, unknown>;
}

/**
 * What the front end needs to launch Meta's Embedded Signup popup (v4): `FB.init({appId, version:
 * graphApiVersion})`, then `FB.login(callback, {config_id: configId, response_type: responseType,
 * override_default_response_type: overrideDefaultResponseType, extras})`; the session info then arrives as
 * `message` events of type `sessionInfoType`.
 */
export class EmbeddedSignupConfigResponseDto {
  /** Meta app ID (FB.init appId). */
  @ApiProperty({ example: '670843887433847' })
  appId: string;

  /**
   * Facebook Login for Business configuration ID (FB.login `config_id`). The configuration decides the
   * Embedded Signup version and the products offered; it must be a v4 configuration.
   */
  @ApiProperty({ example: '1234567890' })
  configId: string;

  /** Graph API version (FB.init version). */
  @ApiProperty({ example: 'v25.0' })
  graphApiVersion: string;

  /** True when the service runs against its built-in simulator: use POST /api/v1/sandbox/embedded-signup instead. */
  @ApiProperty({ example: false })
  sandbox: boolean;

  /** The Embedded Signup version launched: v4 (v2 and v3 ended on 2026-10-15). */
  @ApiProperty({ example: 'v4' })
  version: string;

  /** FB.login `response_type`: `code`, the 30-second code POST /api/v1/phone-numbers exchanges. */
  @ApiProperty({ example: 'code' })
  responseType: string;

  /** FB.login `override_default_response_type`: true, so that the callback carries the code. */
  @ApiProperty({ example: true })
  overrideDefaultResponseType: boolean;

  /** FB.login `extras`, passed as given. */
  @ApiProperty({ type: EmbeddedSignupExtrasDto })
  extras: EmbeddedSignupExtrasDto;

  /**
   * `type` of the popup's `message` events with the session info (`event`: FINISH, FINISH_ONLY_WABA,
   * FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING, … or CANCEL; `data`: `waba_id`, `phone_number_id`,
   * `business_id`, or `current_step` / `error_message` and `error_code` on CANCEL).
   */
  @ApiProperty({ example: 'WA_EMBEDDED_SIGNUP' })
  sessionInfoType: string;
}
