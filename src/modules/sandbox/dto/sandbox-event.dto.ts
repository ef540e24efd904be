import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';

import { META_ID_MESSAGE, META_ID_PATTERN } from 'src/common/http/meta-id-param.dto';

export const SANDBOX_EVENT_TYPES = [
  'MM_LITE_TERMS_SIGNED',
  'MM_LITE_ONBOARDED',
  'DISABLE',
  'SCHEDULE_FOR_DISABLE',
  'REINSTATE',
  'QUALITY_CHANGED',
  'ALERT',
] as const;

export type SandboxEventType = (typeof SANDBOX_EVENT_TYPES)[number];

/** The `alert_type`s Meta documents for `account_alerts` (graph-api-2026.md §A.5), which ALERT can raise. */
export const SANDBOX_ALERT_TYPES = [
  'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED',
  'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED',
  'INCREASED_CAPABILITIES_ELIGIBILITY_NEED_MORE_INFO',
  'OBA_APPROVED',
  'OBA_REJECTED',
  'PROFILE_PICTURE_LOST',
] as const;

/** A change to make on the simulated Meta side; Meta's matching signed webhook follows. */
export class SandboxEventDto {
  @ApiProperty({ enum: SANDBOX_EVENT_TYPES })
  @IsIn(SANDBOX_EVENT_TYPES)
  type: SandboxEventType;

  /** QUALITY_CHANGED, and ALERT of a number (OBA_*, PROFILE_PICTURE_LOST): the number (default: the WABA's first). */
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(META_ID_PATTERN, { message: `phoneNumberId ${META_ID_MESSAGE}` })
  phoneNumberId?: string;

  /** QUALITY_CHANGED: GREEN, YELLOW or RED. */
  @ApiPropertyOptional({ enum: ['GREEN', 'YELLOW', 'RED'] })
  @IsOptional()
  @IsString()
  @IsIn(['GREEN', 'YELLOW', 'RED'])
  qualityRating?: string;

  /**
   * ALERT: the alert Meta raises (default INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED); limit-increase alerts are
   * about the business portfolio, the others about a number.
   */
  @ApiPropertyOptional({ enum: SANDBOX_ALERT_TYPES })
  @IsOptional()
  @IsIn(SANDBOX_ALERT_TYPES)
  alertType?: string;

  /** ALERT: ACTIVE, or NONE to report the alert over (default: as Meta sends that type). */
  @ApiPropertyOptional({ enum: ['ACTIVE', 'NONE'] })
  @IsOptional()
  @IsIn(['ACTIVE', 'NONE'])
  alertStatus?: string;
}
