import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, Property } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';
import { Organization } from 'src/modules/organizations/organization.entity';
import { Waba } from 'src/modules/wabas/waba.entity';

import { PhoneNumberRepository } from './phone-number.repository';
import { RegistrationStatus, SendingChannel } from './phone-numbers.constants';

/** A business phone number connected to the platform, with Meta's fields as Meta spells them. */
@Entity({ tableName: 'phone_numbers', repository: () => PhoneNumberRepository })
@TenantScoped('organization')
@Index({ properties: ['organization', 'phoneNumberId'] })
@Index({ properties: ['waba', 'phoneNumberId'] })
@Index({ properties: ['registrationStatus', 'nextRegistrationAttemptAt'] })
export class PhoneNumber extends BaseEntity<
  'sendingChannel' | 'registrationStatus' | 'registrationAttempts' | 'displayPhoneNumber'
> {
  [EntityRepositoryType]?: PhoneNumberRepository;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization: Organization;

  @ManyToOne(() => Waba, { deleteRule: 'cascade' })
  waba: Waba;

  /** Meta's phone number ID. */
  @Property({ length: 32, unique: true })
  phoneNumberId: string;

  @Property({ length: 64, nullable: true })
  displayPhoneNumber: string | null = null;

  /** Digits of the display number, to match webhooks that format it differently. */
  @Property({ length: 32, nullable: true, index: true })
  displayPhoneDigits: string | null = null;

  @Property({ length: 512, nullable: true })
  verifiedName: string | null = null;

  @Property({ length: 32, nullable: true })
  qualityRating: string | null = null;

  @Property({ length: 32, nullable: true })
  status: string | null = null;

  @Property({ length: 32, nullable: true })
  nameStatus: string | null = null;

  @Property({ length: 32, nullable: true })
  codeVerificationStatus: string | null = null;

  @Property({ length: 32, nullable: true })
  platformType: string | null = null;

  @Property({ length: 32, nullable: true })
  throughputLevel: string | null = null;

  @Property({ length: 32, nullable: true })
  messagingLimitTier: string | null = null;

  @Property({ type: 'json', nullable: true })
  health: Record<string, unknown> | null = null;

  /** Meta's `entry.time` of the newest applied quality/name webhook (staleness: the "as of" times below). */
  @Property({ type: 'timestamptz', nullable: true })
  lastWebhookAt: Date | null = null;

  /** Meta's time of the newest report (webhook or read) applied to `nameStatus` and `verifiedName`. */
  @Property({ type: 'timestamptz', nullable: true })
  nameStatusAsOf: Date | null = null;

  /** Meta's time of the newest report applied to `qualityRating` and `messagingLimitTier`. */
  @Property({ type: 'timestamptz', nullable: true })
  qualityAsOf: Date | null = null;

  /** Meta's time of the newest report applied to `throughputLevel`. */
  @Property({ type: 'timestamptz', nullable: true })
  throughputAsOf: Date | null = null;

  @Enum({ items: () => SendingChannel, nativeEnumName: 'sending_channel' })
  sendingChannel: SendingChannel = SendingChannel.CLOUD_API;

  @Enum({ items: () => RegistrationStatus, nativeEnumName: 'registration_status' })
  registrationStatus: RegistrationStatus = RegistrationStatus.PENDING;

  @Property({ type: 'integer', nullable: true })
  registrationErrorCode: number | null = null;

  @Property({ length: 1024, nullable: true })
  registrationErrorMessage: string | null = null;

  @Property({ default: 0 })
  registrationAttempts = 0;

  /** When the background worker should retry a transiently failed registration; null = not scheduled. */
  @Property({ type: 'timestamptz', nullable: true })
  nextRegistrationAttemptAt: Date | null = null;

  /** Two-step verification PIN set at registration, sealed with SecretBox. */
  @Property({ type: 'text', lazy: true })
  pinSealed: string;

  @Property({ type: 'timestamptz', nullable: true })
  lastSyncedAt: Date | null = null;

  constructor(organization: Organization, waba: Waba, phoneNumberId: string, pinSealed: string) {
    super();
    this.organization = organization;
    this.waba = waba;
    this.phoneNumberId = phoneNumberId;
    this.pinSealed = pinSealed;
  }
}
