import { ApiProperty } from '@nestjs/swagger';

import type { WabaAlertView } from 'src/modules/wabas/waba-alerts.types';

/** An account alert Meta reported for the WABA, its portfolio or one of its numbers (`account_alerts`). */
export class WabaAlertResponseDto {
  /** Meta's `alert_type`, e.g. INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED, OBA_REJECTED, PROFILE_PICTURE_LOST. */
  @ApiProperty({ example: 'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED' })
  type: string;

  /** CRITICAL (a rejection or denial), WARNING (action may be needed) or INFORMATIONAL. */
  @ApiProperty({ example: 'CRITICAL' })
  severity: string;

  /** ACTIVE, or NONE once Meta reports it over. */
  @ApiProperty({ example: 'ACTIVE' })
  status: string;

  /** Meta's sentence, as Meta wrote it. */
  @ApiProperty({ nullable: true, type: String })
  description: string | null;

  /** What the alert is about: WABA, BUSINESS (the portfolio), PHONE_NUMBER or CURRENT_STATUS_ID (a number's profile). */
  @ApiProperty({ example: 'BUSINESS' })
  entityType: string;

  /** The ID of that WABA, portfolio, number or profile. */
  @ApiProperty({ example: '506914307656634' })
  entityId: string;

  /** Meta's time of the alert's latest state. */
  @ApiProperty({ type: Date })
  occurredAt: Date;

  static fromView(alert: Readonly<WabaAlertView>): WabaAlertResponseDto {
    return {
      type: alert.type,
      severity: alert.severity,
      status: alert.status,
      description: alert.description,
      entityType: alert.entityType,
      entityId: alert.entityId,
      occurredAt: alert.occurredAt,
    };
  }
}
