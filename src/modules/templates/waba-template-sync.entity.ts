import { Entity, ManyToOne, Property } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';
import { Organization } from 'src/modules/organizations/organization.entity';
import { Waba } from 'src/modules/wabas/waba.entity';

/**
 * When a WABA's templates were last read from Meta and when they are due again: after the connect's read,
 * every TEMPLATE_SYNC_INTERVAL_HOURS, sooner when a webhook names a template nobody knows or a send says
 * they are stale, and with a back-off after failures. Sync rounds read only the due WABAs' templates.
 */
@Entity({ tableName: 'waba_template_syncs' })
@TenantScoped('organization')
export class WabaTemplateSync extends BaseEntity<'syncedAt' | 'failures' | 'lastErrorCode'> {
  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization: Organization;

  @ManyToOne(() => Waba, { deleteRule: 'cascade', unique: true })
  waba: Waba;

  /** When the last complete read began (null: never read). */
  @Property({ type: 'timestamptz', nullable: true })
  syncedAt: Date | null = null;

  /** When a round should read the WABA's templates next. */
  @Property({ type: 'timestamptz', index: true })
  dueAt: Date;

  /** Failed reads in a row. */
  @Property({ default: 0 })
  failures: number = 0;

  /** MetaGatewayErrorCode of the last failed read. */
  @Property({ length: 32, nullable: true })
  lastErrorCode: string | null = null;

  constructor(organization: Organization, waba: Waba, dueAt: Date) {
    super();
    this.organization = organization;
    this.waba = waba;
    this.dueAt = dueAt;
  }
}
