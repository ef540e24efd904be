import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import type { AllConfig } from 'config/config.type';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';

import { EmbeddedSignupConfigResponseDto } from './dto/embedded-signup-config-response.dto';
import { EMBEDDED_SIGNUP_SESSION_INFO_TYPE, EMBEDDED_SIGNUP_VERSION } from './phone-numbers.constants';

/** Embedded Signup settings for the front end. */
@ApiTags('Phone numbers')
@ApiBearerAuth()
@Controller('api/v1/embedded-signup')
export class EmbeddedSignupController {
  constructor(private readonly config: ConfigService<AllConfig, true>) {}

  @Get('config')
  @ApiOperation({
    summary: 'Embedded Signup settings for the front end',
    description:
      'Everything a front end needs to launch Embedded Signup v4 (v2 and v3 ended on 2026-10-15): load ' +
      "Facebook's JavaScript SDK, `FB.init({ appId, version: graphApiVersion })`, then " +
      '`FB.login(callback, { config_id: configId, response_type: responseType, override_default_response_type: ' +
      'overrideDefaultResponseType, extras })`. The version and products come from the Login for Business ' +
      'configuration (`configId`, `META_ES_CONFIG_ID`), which must be a v4 one. The session info arrives as ' +
      '`message` events from facebook.com with `type` = `sessionInfoType`: on a FINISH… event `data` carries ' +
      '`waba_id`, `phone_number_id` (absent after FINISH_ONLY_WABA) and `business_id`; on CANCEL either ' +
      '`current_step` (abandoned) or `error_message` with `error_code` (older pages: `error_id`). POST the ' +
      "callback's `code` with the WABA and number to /api/v1/phone-numbers within 30 seconds. In sandbox mode " +
      '(`sandbox: true`) there is no Meta app: POST /api/v1/sandbox/embedded-signup stands in for the popup.',
  })
  @ApiOkResponse({ type: EmbeddedSignupConfigResponseDto })
  @ApiProblemResponses(...COMMON_KEY_ROUTE_PROBLEMS)
  getConfig(): EmbeddedSignupConfigResponseDto {
    const meta = this.config.get('meta', { infer: true });
    return {
      appId: meta.appId,
      configId: meta.embeddedSignupConfigId,
      graphApiVersion: meta.graphApiVersion,
      sandbox: meta.sandbox,
      version: EMBEDDED_SIGNUP_VERSION,
      responseType: 'code',
      overrideDefaultResponseType: true,
      extras: { setup: {} },
      sessionInfoType: EMBEDDED_SIGNUP_SESSION_INFO_TYPE,
    };
  }
}
