import { Controller, Get, Header, HttpCode, HttpStatus, Post, Query, Req } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses } from 'src/common/http/api-problem-responses.decorator';
import { Public } from 'src/modules/organizations/auth.decorators';

import { WebhookAckResponseDto } from './dto/webhook-ack-response.dto';
import { MetaWebhooksService } from './meta-webhooks.service';
import type { WebhookRequest } from './webhook-body.reader';

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

  /**
   * The body was read and its signature checked on the raw bytes by `createWebhookBodyReader`, mounted
   * in front of every parser (configure-app.ts); an unverified request never reaches this handler. The exact
   * path is answered before Express by src/bootstrap/webhook-intake.ts, with the same bytes: this route
   * documents it and serves the other spellings (a trailing slash, other case).
   */
  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'A signed Meta delivery: stored durably (once per payload), then processed asynchronously',
    description:
      'Signed bytes that cannot be read as UTF-8 JSON (or stored as jsonb) are acknowledged with 200 and parked ' +
      'as UNPROCESSABLE, so that Meta does not redeliver them for days.',
  })
  @ApiHeader({
    name: 'X-Hub-Signature-256',
    description: 'sha256=<hex HMAC-SHA256 of the raw body with the app secret>',
  })
  @ApiOkResponse({ type: WebhookAckResponseDto })
  @ApiProblemResponses(
    ErrorCode.UNAUTHENTICATED,
    ErrorCode.PAYLOAD_TOO_LARGE,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.SERVICE_UNAVAILABLE,
  )
  async receive(@Req() request: WebhookRequest): Promise<WebhookAckResponseDto> {
    const { duplicate } = await this.webhooks.receive(request.verifiedWebhookBody);
    return { received: true, duplicate };
  }
}
