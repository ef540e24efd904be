import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import type { AllConfig } from 'config/config.type';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';

import { EmbeddedSignupConfigResponseDto } from './dto/embedded-signup-config-response.dto';

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
