import { Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { AdminOnly } from 'src/modules/organizations/auth.decorators';

import { SyncRoundResponseDto } from './sync-round-response.dto';
import { SYNC_ROUND_ADMIN_ACTOR } from './sync-round.constants';
import { SyncRoundService } from './sync-round.service';

/** Operator control of the periodic re-sync. */
@ApiTags('Admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/v1/admin/sync-rounds')
export class SyncRoundController {
  constructor(private readonly rounds: SyncRoundService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Run one full re-sync round now (admin token)',
    description:
      'Re-reads every connected WABA (not those waiting for re-authorization), due or not, with its numbers ' +
      'and its MM Lite status, once: rounds running at the same time on other instances share the work, and ' +
      'a WABA any of them handled since this round started is not read again. A WABA Meta is throttling is ' +
      'not read and counts as skipped. Answers when no WABA is left to read; the counts are what this ' +
      'instance handled.',
  })
  @ApiOkResponse({ type: SyncRoundResponseDto })
  @ApiProblemResponses(ErrorCode.INTERNAL_ERROR, ...COMMON_KEY_ROUTE_PROBLEMS)
  async runRound(): Promise<SyncRoundResponseDto> {
    return SyncRoundResponseDto.fromResult(await this.rounds.runFullRound(SYNC_ROUND_ADMIN_ACTOR));
  }
}
