import { ApiProperty } from '@nestjs/swagger';

import type { PhoneNumber } from 'src/modules/phone-numbers/phone-number.entity';
import { RegistrationStatus, SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

/** Meta's error of the last failed registration. */
export class RegistrationErrorDto {
  @ApiProperty({ nullable: true, type: Number, example: 133005 })
  code: number | null;

  @ApiProperty({ example: 'Two step verification PIN Mismatch' })
  message: string;
}

/** Cloud API registration of the number. */
export class RegistrationDto {
  @ApiProperty({ enum: RegistrationStatus, enumName: 'RegistrationStatus' })
  status: RegistrationStatus;

  @ApiProperty({ type: RegistrationErrorDto, nullable: true })
  error: RegistrationErrorDto | null;
}

/** A phone number; Meta's enum values are passed through as Meta spells them. */
export class PhoneNumberResponseDto {
  @ApiProperty({ example: '106540352242922' })
  phoneNumberId: string;

  @ApiProperty({ example: '102290129340398' })
  wabaId: string;

  @ApiProperty({ nullable: true, type: String, example: '+1 631-555-5555' })
  displayPhoneNumber: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'Lucky Shrub' })
  verifiedName: string | null;

  /** GREEN, YELLOW, RED, NA, UNKNOWN. */
  @ApiProperty({ nullable: true, type: String, example: 'GREEN' })
  qualityRating: string | null;

  /** CONNECTED, PENDING, BANNED, RESTRICTED, FLAGGED, … */
  @ApiProperty({ nullable: true, type: String, example: 'CONNECTED' })
  status: string | null;

  /** APPROVED, AVAILABLE_WITHOUT_REVIEW, DECLINED, EXPIRED, PENDING_REVIEW, NONE. */
  @ApiProperty({ nullable: true, type: String })
  nameStatus: string | null;

  /** NOT_VERIFIED, VERIFIED, EXPIRED. */
  @ApiProperty({ nullable: true, type: String })
  codeVerificationStatus: string | null;

  /** CLOUD_API, ON_PREMISE, NOT_APPLICABLE. */
  @ApiProperty({ nullable: true, type: String })
  platformType: string | null;

  /** STANDARD, HIGH, NOT_APPLICABLE. */
  @ApiProperty({ nullable: true, type: String })
  throughputLevel: string | null;

  /** TIER_50 … TIER_UNLIMITED (deprecated by Meta, kept while sent). */
  @ApiProperty({ nullable: true, type: String })
  messagingLimitTier: string | null;

  @ApiProperty({ enum: SendingChannel, enumName: 'SendingChannel' })
  sendingChannel: SendingChannel;

  @ApiProperty({ type: RegistrationDto })
  registration: RegistrationDto;

  createdAt: Date;

  updatedAt: Date;

  @ApiProperty({ nullable: true, type: Date })
  lastSyncedAt: Date | null;

  static fromEntity(phone: PhoneNumber): PhoneNumberResponseDto {
    return {
      phoneNumberId: phone.phoneNumberId,
      wabaId: phone.waba.wabaId,
      displayPhoneNumber: phone.displayPhoneNumber,
      verifiedName: phone.verifiedName,
      qualityRating: phone.qualityRating,
      status: phone.status,
      nameStatus: phone.nameStatus,
      codeVerificationStatus: phone.codeVerificationStatus,
      platformType: phone.platformType,
      throughputLevel: phone.throughputLevel,
      messagingLimitTier: phone.messagingLimitTier,
      sendingChannel: phone.sendingChannel,
      registration: {
        status: phone.registrationStatus,
        error:
          phone.registrationStatus === RegistrationStatus.FAILED
            ? { code: phone.registrationErrorCode, message: phone.registrationErrorMessage ?? 'registration failed' }
            : null,
      },
      createdAt: phone.createdAt,
      updatedAt: phone.updatedAt,
      lastSyncedAt: phone.lastSyncedAt,
    };
  }
}

/** `{ data, nextCursor }` of the number list. */
export class PhoneNumberListResponseDto {
  @ApiProperty({ type: [PhoneNumberResponseDto] })
  data: PhoneNumberResponseDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
