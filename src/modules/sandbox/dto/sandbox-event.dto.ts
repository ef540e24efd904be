import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength } from 'class-validator';

import { META_ID_MESSAGE, META_ID_PATTERN } from 'src/common/http/meta-id-param.dto';

export const SANDBOX_EVENT_TYPES = [
  'MM_LITE_TERMS_SIGNED',
  'MM_LITE_ONBOARDED',
  'DISABLE',
  'SCHEDULE_FOR_DISABLE',
  'REINSTATE',
  'QUALITY_CHANGED',
  'WEBHOOKS_UNSUBSCRIBED',
  'WEBHOOKS_OVERRIDDEN',
] as const;

export type SandboxEventType = (typeof SANDBOX_EVENT_TYPES)[number];

/** A change to make on the simulated Meta side; Meta's matching signed webhook follows. */
export class SandboxEventDto {
  @ApiProperty({ enum: SANDBOX_EVENT_TYPES })
  @IsIn(SANDBOX_EVENT_TYPES)
  type: SandboxEventType;

  /** QUALITY_CHANGED: the number (default: the WABA's first). */
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
   * WEBHOOKS_OVERRIDDEN: the URL that receives the WABA's webhooks instead (Meta's `override_callback_uri`,
   * at most 200 characters). Default: a reserved `.example` address nothing answers at.
   */
  @ApiPropertyOptional({ example: 'https://my-waba-alternate-callback.com/webhook' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @MaxLength(200)
  overrideCallbackUri?: string;
}
