import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import { MmLiteStatus } from 'src/modules/wabas/wabas.constants';

import { MmLiteStepKey, MmLiteStepState } from 'src/modules/mm-lite/mm-lite.constants';

/** One step of the "Set up MM Lite" flow. */
export class MmLiteStepDto {
  /** Which step of the guide. */
  @ApiProperty({ enum: MmLiteStepKey, enumName: 'MmLiteStepKey' })
  key: MmLiteStepKey;

  /** DONE, TODO (up to the user now) or BLOCKED (something else must change first; `detail` says what). */
  @ApiProperty({ enum: MmLiteStepState, enumName: 'MmLiteStepState' })
  state: MmLiteStepState;

  /** Why the step is in this state and what to do next. */
  @ApiProperty({ example: 'An admin of business portfolio 506914307656634 accepts the MM Lite terms …' })
  detail: string;

  /** Where to act, when the action happens outside the platform (Meta Business Manager). */
  @ApiPropertyOptional({ example: 'https://business.facebook.com/latest/whatsapp_manager/overview?business_id=1' })
  actionUrl?: string;
}

/** A number of the WABA and where its marketing templates go. */
export class MmLiteNumberDto {
  @ApiProperty({ example: '106540352242922' })
  phoneNumberId: string;

  @ApiProperty({ nullable: true, type: String, example: '+1 631-555-5555' })
  displayPhoneNumber: string | null;

  @ApiProperty({ enum: SendingChannel, enumName: 'SendingChannel' })
  sendingChannel: SendingChannel;
}

/** The onboarding panel of one WABA (api-contract.md `MmLitePanel`). */
export class MmLitePanelResponseDto {
  @ApiProperty({ example: '102290129340398' })
  wabaId: string;

  /** The MM Lite column: ONBOARDED, NOT_ONBOARDED, or null (the dash: not started). */
  @ApiProperty({ enum: MmLiteStatus, enumName: 'MmLiteStatus', nullable: true })
  status: MmLiteStatus | null;

  /** Meta's `marketing_messages_onboarding_status` as Meta spells it (null until first read). */
  @ApiProperty({ nullable: true, type: String, example: 'PENDING_INTERNAL_SETUP' })
  metaStatus: string | null;

  /** The business portfolio's terms status (TERM_OF_SERVICE_SIGNED, REQUEST_SENT, NOT_STARTED) or null. */
  @ApiProperty({ nullable: true, type: String, example: 'TERM_OF_SERVICE_SIGNED' })
  termsStatus: string | null;

  /** When someone started setup on the platform. */
  @ApiProperty({ nullable: true, type: Date })
  setupStartedAt: Date | null;

  /** When the onboarding status was last read from Meta. */
  @ApiProperty({ nullable: true, type: Date })
  lastCheckedAt: Date | null;

  /** The guide's three steps, in order. */
  @ApiProperty({ type: [MmLiteStepDto] })
  steps: MmLiteStepDto[];

  /** The WABA's numbers on the platform and their sending channels. */
  @ApiProperty({ type: [MmLiteNumberDto] })
  numbers: MmLiteNumberDto[];

  /** Regions where MM Lite marketing messages are restricted. */
  @ApiProperty()
  regionNotice: string;

  /** The WABA's APPROVED MARKETING templates: the only templates MM Lite (and the marketing send) can send. */
  @ApiProperty({ example: 3 })
  approvedMarketingTemplates: number;
}
