import { ApiProperty } from '@nestjs/swagger';

import type { SyncRoundResult } from './sync-round.types';

/** The webhook subscriptions a round checked (`GET /{waba}/subscribed_apps`, every few rounds per WABA). */
export class SyncRoundWebhooksDto {
  @ApiProperty({ description: 'Subscriptions read and recorded', example: 5 })
  checked: number;

  @ApiProperty({ description: 'Of those, without our app', example: 1 })
  missing: number;

  @ApiProperty({ description: 'Of those, with deliveries overridden to another URL', example: 0 })
  overridden: number;

  @ApiProperty({ description: 'Missing ones subscribed again', example: 1 })
  resubscribed: number;

  @ApiProperty({ description: 'Reads that failed (checked again later)', example: 0 })
  failed: number;

  @ApiProperty({ description: 'Not read while Meta throttles the WABA', example: 0 })
  skipped: number;
}

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

  @ApiProperty({ description: 'Graph API calls made by the round, its webhooks checks included', example: 6 })
  metaCalls: number;

  @ApiProperty({ type: SyncRoundWebhooksDto })
  webhooks: SyncRoundWebhooksDto;

  @ApiProperty({ description: 'Wall-clock duration of the round in milliseconds', example: 850 })
  durationMs: number;

  static fromResult(result: SyncRoundResult): SyncRoundResponseDto {
    const dto = new SyncRoundResponseDto();
    Object.assign(dto, result);
    return dto;
  }
}
