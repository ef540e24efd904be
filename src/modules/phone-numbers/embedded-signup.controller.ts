import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';

import type { AllConfig } from 'config/config.type';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';

/** What the front end needs to launch Meta's Embedded Signup popup. */
export class EmbeddedSignupConfigResponseDto {
  /** Meta app ID (FB.init appId). */
  @ApiProperty({ example: '670843887433847' })
  appId: string;

  /** Login for Business configuration ID (FB.login config_id). */
  @ApiProperty({ example: '1234567890' })
  configId: string;

  /** Graph API version (FB.init version). */
  @ApiProperty({ example: 'v25.0' })
  graphApiVersion: string;

  /** True when the service runs against its built-in simulator: use POST /api/v1/sandbox/embedded-signup instead. */
  sandbox: boolean;
}

/** Embedded Signup settings for the front end. */
@ApiTags('Phone numbers')
@ApiBearerAuth()
@Controller('api/v1/embedded-signup')
export class EmbeddedSignupController {
  constructor(private readonly config: ConfigService<AllConfig, true>) {}

  @Get('config')
  @ApiOperation({ summary: 'Embedded Signup settings for the front end' })
  @ApiOkResponse({ type: EmbeddedSignupConfigResponseDto })
  @ApiProblemResponses(...COMMON_KEY_ROUTE_PROBLEMS)
  getConfig(): EmbeddedSignupConfigResponseDto {
    const meta = this.config.get('meta', { infer: true });
    return {
      appId: meta.appId,
      configId: meta.embeddedSignupConfigId,
      graphApiVersion: meta.graphApiVersion,
      sandbox: meta.sandbox,
    };
  }
}
