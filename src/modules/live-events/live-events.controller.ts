import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';

import { LiveEventsService } from './live-events.service';

const STREAM_DESCRIPTION = [
  'A `text/event-stream` of what changes in the organization, from any source (API, webhook, sync) and any',
  'instance of the service. Frames name what changed; refetch it (frames carry no other data):',
  '',
  '- `event: ready` `data: {}` first, once the stream is live: refetch once;',
  '- `event: waba` `data: {"wabaId":"…","kind":"connected|status|mm-lite|connection|updated"}`;',
  '- `event: phone-number` `data: {"phoneNumberId":"…","wabaId":"…","kind":"added|updated|sending-channel|registration"}`;',
  '- a comment line `: keep-alive` every 15 s (LIVE_EVENTS_KEEPALIVE_MS).',
  '',
  'Every frame has an `id:` (increasing within the stream; there is no replay: reconnect and refetch). The',
  'stream ends when the instance stops or loses its channel to the other instances: reconnect with back-off.',
  'Browsers read it with `fetch` and a stream reader (EventSource cannot send the `Authorization` header).',
].join('\n');

/** The organization's live event stream (server-sent events). */
@ApiTags('Live events')
@ApiBearerAuth()
@Controller('api/v1/events')
export class LiveEventsController {
  constructor(private readonly live: LiveEventsService) {}

  @Get()
  @ApiOperation({
    summary: 'Live changes of the organization’s WABAs and numbers (server-sent events)',
    description: STREAM_DESCRIPTION,
  })
  @ApiOkResponse({
    description: 'The stream; it stays open until the client or the instance ends it',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 1\nevent: ready\ndata: {}\n\n' } } },
  })
  @ApiProblemResponses(ErrorCode.SERVICE_UNAVAILABLE, ...COMMON_KEY_ROUTE_PROBLEMS)
  async stream(
    @CurrentOrganizationId() organizationId: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.live.open(organizationId, request, response);
  }
}
