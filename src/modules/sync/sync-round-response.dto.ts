import { ApiProperty } from '@nestjs/swagger';

import type { SyncRoundResult } from './sync-round.types';

/** Outcome of one re-sync round on the instance that answered. */
export class SyncRoundResponseDto {
  @ApiProperty({ description: 'WABAs this instance claimed and handled in the round', example: 120 })
  wabas: number;

  @ApiProperty({ description: 'Read from Meta and applied', example: 118 })
  succeeded: number;

  @ApiProperty({ description: 'Read failed; the WABA backs off (or needs re-authorization)', example: 1 })
  failed: number;

  @ApiProperty({
    description: 'Not read: Meta throttles the WABA until its estimated time to regain access',
    example: 1,
  })
  skipped: number;

  @ApiProperty({ description: 'Graph API calls made by the round', example: 6 })
  metaCalls: number;

  @ApiProperty({ description: 'Wall-clock duration of the round in milliseconds', example: 850 })
  durationMs: number;

  static fromResult(result: SyncRoundResult): SyncRoundResponseDto {
    const dto = new SyncRoundResponseDto();
    Object.assign(dto, result);
    return dto;
  }
}
