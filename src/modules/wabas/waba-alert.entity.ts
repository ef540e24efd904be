import { Entity, EntityRepositoryType, ManyToOne, Property, Unique } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';

import { WabaAlertRepository } from './waba-alert.repository';
import { Waba } from './waba.entity';

/**
 * An `account_alerts` alert of a WABA, about the WABA, its portfolio, one of its numbers or a number's
 * profile: its latest state as Meta reported it. Meta gives alerts no ID, so an alert is its WABA, entity
 * and type; a later report of the same alert updates the row, an older one changes nothing. Written by the
 * wabas module alone, together with the WABA's `criticalAlert` column, under the WABA's row lock.
 */
@Entity({ tableName: 'waba_alerts', repository: () => WabaAlertRepository })
@TenantScoped('organizationId')
@Unique({ name: 'waba_alerts_alert_unique', properties: ['waba', 'entityType', 'entityId', 'alertType'] })
export class WabaAlert extends BaseEntity {
  [EntityRepositoryType]?: WabaAlertRepository;

  @Property({ type: 'uuid' })
  organizationId: string;

  @ManyToOne(() => Waba, { deleteRule: 'cascade' })
  waba: Waba;

  /** `entity_type` (BUSINESS, PHONE_NUMBER, CURRENT_STATUS_ID, or WABA). */
  @Property({ length: 32 })
  entityType: string;

  /** `entity_id`; the WABA ID when the alert is about the WABA. */
  @Property({ length: 64 })
  entityId: string;

  /** `alert_type` as Meta spells it. */
  @Property({ length: 64 })
  alertType: string;

  @Property({ length: 32 })
  severity: string;

  @Property({ length: 32 })
  status: string;

  /** Meta's sentence, never parsed. */
  @Property({ length: 2048, nullable: true })
  description: string | null;

  /** Meta's time of the report applied (`entry.time`): a report older than this is stale. */
  @Property({ type: 'timestamptz' })
  occurredAt: Date;

  /** When the report applied was received. */
  @Property({ type: 'timestamptz' })
  receivedAt: Date;

  constructor(input: Omit<WabaAlert, 'id' | 'createdAt' | 'updatedAt'>) {
    super();
    this.organizationId = input.organizationId;
    this.waba = input.waba;
    this.entityType = input.entityType;
    this.entityId = input.entityId;
    this.alertType = input.alertType;
    this.severity = input.severity;
    this.status = input.status;
    this.description = input.description;
    this.occurredAt = input.occurredAt;
    this.receivedAt = input.receivedAt;
  }
}
