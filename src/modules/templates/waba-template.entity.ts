import { Entity, EntityRepositoryType, Index, ManyToOne, Property, Reference, Unique } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';
import type { ChangeSource } from 'src/modules/audit/change-context';
import { Organization } from 'src/modules/organizations/organization.entity';
import { Waba } from 'src/modules/wabas/waba.entity';

import { WabaTemplateRepository } from './waba-template.repository';

/**
 * A message template of a connected WABA, as Meta last reported it (a read of `message_templates` or a
 * template webhook). Keyed by Meta's template ID within the WABA; sends look it up by name and language.
 * Each fact (status, category, quality) carries Meta's time of the report that set it, so that an older
 * webhook, redelivered late, never overrides a newer one (see template-facts.ts).
 */
@Entity({ tableName: 'waba_templates', repository: () => WabaTemplateRepository })
@TenantScoped('organization')
@Unique({ properties: ['waba', 'templateId'] })
@Index({ properties: ['waba', 'name', 'language'] })
export class WabaTemplate extends BaseEntity<
  | 'category'
  | 'previousCategory'
  | 'pendingCategory'
  | 'status'
  | 'reason'
  | 'quality'
  | 'metaUpdatedAt'
  | 'statusAt'
  | 'categoryAt'
  | 'qualityAt'
> {
  [EntityRepositoryType]?: WabaTemplateRepository;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization: Organization;

  @ManyToOne(() => Waba, { deleteRule: 'cascade' })
  waba: Waba;

  /** Meta's template ID (digits; may exceed 2^53). */
  @Property({ length: 32 })
  templateId: string;

  @Property({ length: 512 })
  name: string;

  /** Meta's language code as the Graph API spells it (`en_US`; webhooks' `en-US` is normalised). */
  @Property({ length: 32 })
  language: string;

  /** The category sends are routed by: changed only by a read or a *completed* category change. */
  @Property({ length: 32, nullable: true })
  category: string | null = null;

  /** The category before Meta's last change. */
  @Property({ length: 32, nullable: true })
  previousCategory: string | null = null;

  /** The category an impending change will move the template to (`correct_category`); never routed on. */
  @Property({ length: 32, nullable: true })
  pendingCategory: string | null = null;

  @Property({ length: 32, nullable: true })
  status: string | null = null;

  /** Why it is not sendable: the rejection reason, or the pause's title (FIRST_PAUSE …). */
  @Property({ length: 512, nullable: true })
  reason: string | null = null;

  /** `quality_score.score`: GREEN, YELLOW, RED, UNKNOWN. */
  @Property({ length: 16, nullable: true })
  quality: string | null = null;

  /** How the latest fact was learned: SYNC (a read), WEBHOOK, API. */
  @Property({ length: 16 })
  source: ChangeSource;

  /** Meta's time of the newest report applied (a webhook's `entry.time`, or when a read began). */
  @Property({ type: 'timestamptz', nullable: true })
  metaUpdatedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  statusAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  categoryAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  qualityAt: Date | null = null;

  /** A new template of the WABA `wabaRowId` (a row of `wabas`) of the organization `organizationId`. */
  constructor(
    organizationId: string,
    wabaRowId: string,
    key: { templateId: string; name: string; language: string },
    source: ChangeSource,
  ) {
    super();
    this.organization = Reference.createNakedFromPK(Organization, organizationId);
    this.waba = Reference.createNakedFromPK(Waba, wabaRowId);
    this.templateId = key.templateId;
    this.name = key.name;
    this.language = key.language;
    this.source = source;
  }
}
