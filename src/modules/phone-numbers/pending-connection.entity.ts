import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';
import type { FieldError } from 'src/common/exceptions/domain.exception';
import type { ErrorCode } from 'src/common/exceptions/error-code';
import { Organization } from 'src/modules/organizations/organization.entity';

import { PendingConnectionRepository } from './pending-connection.repository';
import { PendingConnectionStatus } from './phone-numbers.constants';
import type { Actor } from 'src/modules/organizations/actor';

/** Why a pending connection was refused: the problem its replays are answered with. */
export interface PendingConnectionRejection {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
}

/**
 * One Embedded Signup request of an organization, from the moment its code is claimed for the exchange
 * until a day later (product-spec §2.1: nothing is lost once the code is exchanged). The exchanged token
 * is stored here, sealed, before it is checked, so a failing `debug_token` or a crash leaves it for the
 * background job or the client's repeated request to finish; it leaves the row once the WABA holds it or
 * the check refused it. The code itself is kept only as a hash, to recognize the same request again.
 */
@Entity({ tableName: 'pending_connections', repository: () => PendingConnectionRepository })
@TenantScoped('organization')
@Unique({ properties: ['organization', 'codeHash'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({ properties: ['expiresAt'] })
export class PendingConnection extends BaseEntity<'status' | 'attempts'> {
  [EntityRepositoryType]?: PendingConnectionRepository;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization: Organization;

  /** SHA-256 of the Embedded Signup code. */
  @Property({ length: 64 })
  codeHash: string;

  /** The posted IDs, as posted: a replay must post the same ones. */
  @Property({ length: 32 })
  wabaId: string;

  @Property({ length: 32 })
  phoneNumberId: string;

  @Property({ length: 32, nullable: true })
  businessId: string | null = null;

  /** Who posted the request (`api-key:<id>`), for the audit records written when it completes. */
  @Property({ length: 128 })
  actor: Actor;

  @Enum({ items: () => PendingConnectionStatus, nativeEnumName: 'pending_connection_status' })
  status: PendingConnectionStatus = PendingConnectionStatus.EXCHANGING;

  /** The exchanged business token, sealed with SecretBox; null before the exchange and once it left. */
  @Property({ type: 'text', nullable: true, lazy: true })
  accessTokenSealed: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  accessTokenExpiresAt: Date | null = null;

  /** Random ID of the request or job instance working on the row, until `claimExpiresAt`. */
  @Property({ length: 32, nullable: true })
  claimToken: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  claimExpiresAt: Date | null = null;

  /** Verification attempts made so far. */
  @Property({ default: 0 })
  attempts = 0;

  /** When the background job should try the verification again; null while nothing is scheduled. */
  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null = null;

  /** Meta's failure of the last verification attempt (classification and code; never a token). */
  @Property({ type: 'json', nullable: true })
  lastError: { classification: string; metaCode: number | null } | null = null;

  /** Set when the connection was refused (status REJECTED). */
  @Property({ type: 'json', nullable: true })
  rejection: PendingConnectionRejection | null = null;

  /** The row, token included, is deleted at this time whatever its state. */
  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  constructor(
    organization: Organization,
    request: { codeHash: string; wabaId: string; phoneNumberId: string; actor: Actor; expiresAt: Date },
  ) {
    super();
    this.organization = organization;
    this.codeHash = request.codeHash;
    this.wabaId = request.wabaId;
    this.phoneNumberId = request.phoneNumberId;
    this.actor = request.actor;
    this.expiresAt = request.expiresAt;
  }
}
