import { Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { AdminOnly } from 'src/modules/organizations/auth.decorators';

import { SyncRoundResponseDto } from './sync-round-response.dto';
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
    summary: 'Run one re-sync round now (admin token)',
    description:
      'Re-reads every due, connected WABA, its numbers and its MM Lite status, sharing the work with any ' +
      'other instance running a round; answers when no due WABA is left.',
  })
  @ApiOkResponse({ type: SyncRoundResponseDto })
  @ApiProblemResponses(ErrorCode.INTERNAL_ERROR, ...COMMON_KEY_ROUTE_PROBLEMS)
  async runRound(): Promise<SyncRoundResponseDto> {
    return SyncRoundResponseDto.fromResult(await this.rounds.runRound());
  }
}
