import { randomUUID } from 'node:crypto';

import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

import { TenantScoped } from 'src/common/database/tenant-filter';

import { AuditEventType } from './audit.constants';
import { ChangeSource } from './change-context';

/**
 * One recorded change: written in the same transaction as the change itself, never updated. Holds plain
 * ids (not relations) so that it outlives what it describes.
 */
@Entity({ tableName: 'audit_events' })
@TenantScoped('organizationId')
@Index({ properties: ['organizationId', 'occurredAt', 'id'] })
@Index({ properties: ['organizationId', 'wabaId', 'occurredAt'] })
@Index({ properties: ['organizationId', 'phoneNumberId', 'occurredAt'] })
export class AuditEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  organizationId: string;

  @Enum({ items: () => AuditEventType, nativeEnumName: 'audit_event_type' })
  type: AuditEventType;

  @Property({ length: 32, nullable: true })
  wabaId: string | null;

  @Property({ length: 32, nullable: true })
  phoneNumberId: string | null;

  @Enum({ items: () => ChangeSource, nativeEnumName: 'change_source' })
  source: ChangeSource;

  /** `api-key:<id>`, `meta-webhook`, `sync`, `system`. */
  @Property({ length: 128 })
  actor: string;

  @Property({ type: 'json', nullable: true })
  before: Record<string, unknown> | null;

  @Property({ type: 'json', nullable: true })
  after: Record<string, unknown> | null;

  @Property({ type: 'timestamptz' })
  occurredAt: Date;

  constructor(input: Omit<AuditEvent, 'id'>) {
    this.organizationId = input.organizationId;
    this.type = input.type;
    this.wabaId = input.wabaId;
    this.phoneNumberId = input.phoneNumberId;
    this.source = input.source;
    this.actor = input.actor;
    this.before = input.before;
    this.after = input.after;
    this.occurredAt = input.occurredAt;
  }
}
