import {
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  HttpStatus,
  Post,
  Query,
  type RawBodyRequest,
  Req,
} from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses } from 'src/common/http/api-problem-responses.decorator';
import { Public } from 'src/modules/organizations/auth.decorators';

import { WebhookAckResponseDto } from './dto/webhook-ack-response.dto';
import { META_SIGNATURE_HEADER } from './meta-webhooks.constants';
import { MetaWebhooksService } from './meta-webhooks.service';

/**
 * Meta's callback URL, outside /api/v1: no bearer auth (the signature is the authentication) and no rate
 * limit (Meta retries refused deliveries for days, so throttling would only delay them).
 */
@ApiTags('Meta webhooks')
@Public()
@Controller('webhooks/meta')
export class MetaWebhooksController {
  constructor(private readonly webhooks: MetaWebhooksService) {}

  @Get()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: "Meta's verification handshake: echoes hub.challenge when hub.verify_token matches" })
  @ApiQuery({ name: 'hub.mode', example: 'subscribe' })
  @ApiQuery({ name: 'hub.verify_token' })
  @ApiQuery({ name: 'hub.challenge', example: '1158201444' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The challenge, as text/plain', type: String })
  @ApiProblemResponses(ErrorCode.FORBIDDEN, ErrorCode.VALIDATION_FAILED)
  verify(
    @Query('hub.mode') mode: unknown,
    @Query('hub.verify_token') verifyToken: unknown,
    @Query('hub.challenge') challenge: unknown,
  ): string {
    return this.webhooks.verifySubscription(mode, verifyToken, challenge);
  }

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'A signed Meta delivery: stored durably (once per payload), then processed asynchronously',
  })
  @ApiHeader({
    name: 'X-Hub-Signature-256',
    description: 'sha256=<hex HMAC-SHA256 of the raw body with the app secret>',
  })
  @ApiOkResponse({ type: WebhookAckResponseDto })
  @ApiProblemResponses(ErrorCode.UNAUTHENTICATED, ErrorCode.MALFORMED_REQUEST, ErrorCode.PAYLOAD_TOO_LARGE)
  async receive(
    @Req() request: RawBodyRequest<Request>,
    @Headers(META_SIGNATURE_HEADER) signature: string | undefined,
  ): Promise<WebhookAckResponseDto> {
    const { duplicate } = await this.webhooks.receive(request.rawBody, signature);
    return { received: true, duplicate };
  }
}
