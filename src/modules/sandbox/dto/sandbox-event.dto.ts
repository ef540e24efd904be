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
  'TEMPLATE_APPROVED',
  'TEMPLATE_REJECTED',
  'TEMPLATE_PAUSED',
  'TEMPLATE_DISABLED',
  'TEMPLATE_CATEGORY_PENDING',
  'TEMPLATE_CATEGORY_CHANGED',
  'TEMPLATE_QUALITY_CHANGED',
  'TEMPLATE_COMPONENTS_CHANGED',
  'ALERT',
] as const;

const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;

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
   * WEBHOOKS_OVERRIDDEN: the URL that receives the WABA's webhooks instead (Meta's `override_callback_uri`,
   * at most 200 characters). Default: a reserved `.example` address nothing answers at.
   */
  @ApiPropertyOptional({ example: 'https://my-waba-alternate-callback.com/webhook' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @MaxLength(200)
  overrideCallbackUri?: string;

  /**
   * TEMPLATE_*: the template's name (default: the WABA's first template; TEMPLATE_APPROVED of a name Meta
   * does not have creates it, as a template approved after review).
   */
  @ApiPropertyOptional({ example: 'welcome_template' })
  @IsOptional()
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'templateName must be lower-case letters, digits and underscores' })
  templateName?: string;

  /**
   * TEMPLATE_CATEGORY_PENDING / TEMPLATE_CATEGORY_CHANGED: the category Meta moves the template to (default:
   * the announced one, else MARKETING ↔ UTILITY); TEMPLATE_APPROVED of a new template: its category.
   */
  @ApiPropertyOptional({ enum: TEMPLATE_CATEGORIES })
  @IsOptional()
  @IsIn(TEMPLATE_CATEGORIES)
  category?: string;

  /** TEMPLATE_QUALITY_CHANGED: GREEN, YELLOW or RED (default: the next of GREEN → YELLOW → RED). */
  @ApiPropertyOptional({ enum: ['GREEN', 'YELLOW', 'RED'] })
  @IsOptional()
  @IsIn(['GREEN', 'YELLOW', 'RED'])
  qualityScore?: string;

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
