import { ApiProperty } from '@nestjs/swagger';

import type { MarketingSendSummary } from 'src/modules/mm-lite/marketing-send-history.service';

/** How many sends of the window are in each status (every status listed, zero included). */
export class MarketingSendCountsByStatusDto {
  @ApiProperty({ example: 0 })
  UNKNOWN: number;

  @ApiProperty({ example: 3 })
  ACCEPTED: number;

  @ApiProperty({ example: 10 })
  SENT: number;

  @ApiProperty({ example: 120 })
  DELIVERED: number;

  @ApiProperty({ example: 40 })
  READ: number;

  @ApiProperty({ example: 7 })
  FAILED: number;
}

/** A failure code of the window: how often it came, what it means and what to do. */
export class MarketingFailureCountDto {
  /** Meta's error code. */
  @ApiProperty({ example: 131049 })
  code: number;

  /** Meta's newest title for it. */
  @ApiProperty({ nullable: true, type: String })
  title: string | null;

  /** What happened, from the failure table (Meta's details for a code it does not know). */
  @ApiProperty()
  reason: string;

  /** What to do about it. */
  @ApiProperty()
  action: string;

  /** Failed sends of the window with this code. */
  @ApiProperty({ example: 5 })
  count: number;
}

/** The sends of a number or a WABA made in the last 24 h: counts by status and the top failure reasons. */
export class MarketingSendSummaryResponseDto {
  /** Start of the window (included): `until` − 24 h. */
  @ApiProperty({ type: Date })
  since: Date;

  /** End of the window (excluded): when the summary was read. */
  @ApiProperty({ type: Date })
  until: Date;

  /** Sends made in the window. */
  @ApiProperty({ example: 180 })
  total: number;

  @ApiProperty({ type: MarketingSendCountsByStatusDto })
  byStatus: MarketingSendCountsByStatusDto;

  /** The most frequent failure codes (at most five), most frequent first. */
  @ApiProperty({ type: [MarketingFailureCountDto] })
  topFailures: MarketingFailureCountDto[];

  static fromSummary(summary: MarketingSendSummary): MarketingSendSummaryResponseDto {
    return {
      since: summary.since,
      until: summary.until,
      total: summary.total,
      byStatus: { ...summary.byStatus },
      topFailures: summary.topFailures.map((failure) => ({ ...failure })),
    };
  }
}
