import { ApiProperty } from '@nestjs/swagger';

import { WabaAlertResponseDto } from './waba-alert-response.dto';
import { WabaRowResponseDto } from './waba-response.dto';
import type { WabaDetailRow } from 'src/modules/wabas/waba.repository';
import { WebhooksStatus } from 'src/modules/wabas/wabas.constants';
import type { WabaAlertView } from 'src/modules/wabas/waba-alerts.types';

/** MM Lite state inside the WABA detail. */
export class WabaMmLiteDto {
  /** Meta's `marketing_messages_onboarding_status` as Meta spells it. */
  @ApiProperty({ nullable: true, type: String, example: 'ELIGIBLE' })
  metaStatus: string | null;

  /** Business portfolio terms status (`TERM_OF_SERVICE_SIGNED`, `REQUEST_SENT`, `NOT_STARTED`). */
  @ApiProperty({ nullable: true, type: String })
  termsStatus: string | null;

  /** When someone started setup on the platform. */
  @ApiProperty({ nullable: true, type: Date })
  setupStartedAt: Date | null;

  /** When the status was last read from Meta. */
  @ApiProperty({ nullable: true, type: Date })
  lastCheckedAt: Date | null;
}

/** A WABA with everything the service knows of it. */
export class WabaDetailResponseDto extends WabaRowResponseDto {
  @ApiProperty({ nullable: true, type: String, example: 'USD' })
  currency: string | null;

  @ApiProperty({ nullable: true, type: String, example: '1' })
  timezoneId: string | null;

  /** `account_review_status` (PENDING, APPROVED, REJECTED, DEFERRED). */
  @ApiProperty({ nullable: true, type: String })
  accountReviewStatus: string | null;

  /** `business_verification_status` (lower-case as Meta spells it). */
  @ApiProperty({ nullable: true, type: String })
  businessVerificationStatus: string | null;

  /** Business portfolio that owns the WABA. */
  @ApiProperty({ nullable: true, type: String })
  ownerBusinessId: string | null;

  /** `health_status` as last read from Meta. */
  @ApiProperty({ nullable: true, type: Object })
  health: Record<string, unknown> | null;

  @ApiProperty({ type: WabaMmLiteDto })
  mmLite: WabaMmLiteDto;

  /**
   * Whether Meta delivers this WABA's webhooks to the platform, as the re-sync last found it in
   * `subscribed_apps`: SUBSCRIBED; MISSING (the app's subscription was removed: no message or status
   * webhooks arrive until it is made again, which the re-sync does on its own while the token is valid);
   * OVERRIDDEN (another callback URL receives them, `webhooksOverrideUri`). Null until first checked.
   */
  @ApiProperty({ enum: WebhooksStatus, enumName: 'WebhooksStatus', nullable: true, example: 'SUBSCRIBED' })
  webhooks: WebhooksStatus | null;

  /** Where Meta delivers the WABA's webhooks instead (its `override_callback_uri`) when OVERRIDDEN; else null. */
  @ApiProperty({ nullable: true, type: String, example: 'https://my-waba-alternate-callback.com/webhook' })
  webhooksOverrideUri: string | null;

  /** As of when `webhooks` is known (the check of `subscribed_apps`, or the subscription, that found it). */
  @ApiProperty({ nullable: true, type: Date })
  webhooksCheckedAt: Date | null;

  /** Meta's account alerts (`account_alerts`) of the WABA and its numbers: ACTIVE ones first, then newest. */
  @ApiProperty({ type: [WabaAlertResponseDto] })
  alerts: WabaAlertResponseDto[];

  createdAt: Date;

  updatedAt: Date;

  /**
   * From a WABA itself, with its alerts (`GET /wabas/{id}` has PostgreSQL write the same shape:
   * WabaRepository.detailJson).
   */
  static fromWaba(waba: Readonly<WabaDetailRow>, alerts: readonly WabaAlertView[]): WabaDetailResponseDto {
    return {
      ...WabaRowResponseDto.fromRow(waba),
      currency: waba.currency,
      timezoneId: waba.timezoneId,
      accountReviewStatus: waba.accountReviewStatus,
      businessVerificationStatus: waba.businessVerificationStatus,
      ownerBusinessId: waba.ownerBusinessId,
      health: waba.health,
      mmLite: {
        metaStatus: waba.mmLiteMetaStatus,
        termsStatus: waba.mmLiteTermsStatus,
        setupStartedAt: waba.mmLiteSetupStartedAt,
        lastCheckedAt: waba.mmLiteLastCheckedAt,
      },
      webhooks: waba.webhooksStatus,
      webhooksOverrideUri: waba.webhooksOverrideUri,
      webhooksCheckedAt: waba.webhooksCheckedAt,
      alerts: alerts.map((alert) => WabaAlertResponseDto.fromView(alert)),
      createdAt: waba.createdAt,
      updatedAt: waba.updatedAt,
    };
  }
}
