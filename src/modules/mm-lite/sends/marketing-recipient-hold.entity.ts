import { Entity, EntityRepositoryType, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

import { TenantScoped } from 'src/common/database/tenant-filter';
import { MarketingHoldKind } from 'src/modules/mm-lite/mm-lite.constants';

import { MarketingRecipientHoldRepository } from './marketing-recipient-hold.repository';

/**
 * Why marketing sends from a WABA to one recipient are refused before Meta: the user opted out (until they
 * resume) or Meta paused marketing to them (until `until`). One row per WABA, recipient and kind, keyed so;
 * a hold that ended keeps its row (`clearedAt` set) so that `observedAt`, Meta's time of the newest fact
 * applied, still keeps an older fact, delivered late, from setting it again.
 */
@Entity({ tableName: 'marketing_recipient_holds', repository: () => MarketingRecipientHoldRepository })
@TenantScoped('organizationId')
// Retention finds PAUSED holds that ended without reading the OPTED_OUT ones, which are never pruned by age.
@Index({
  name: 'marketing_recipient_holds_paused_until_index',
  expression:
    'create index "marketing_recipient_holds_paused_until_index" on "marketing_recipient_holds" ("until") where "kind" = \'PAUSED\'',
})
export class MarketingRecipientHold {
  [EntityRepositoryType]?: MarketingRecipientHoldRepository;

  [OptionalProps]?: 'until' | 'reasonCode' | 'messageId' | 'clearedAt' | 'createdAt' | 'updatedAt';

  /** Meta's WABA ID. */
  @PrimaryKey({ length: 32 })
  wabaId: string;

  /** As sends name it: E.164 with `+`, or a business-scoped user ID. */
  @PrimaryKey({ length: 160 })
  recipient: string;

  @Enum({ items: () => MarketingHoldKind, nativeEnumName: 'marketing_hold_kind', primary: true })
  kind: MarketingHoldKind;

  @Property({ type: 'uuid' })
  organizationId: string;

  /** When a PAUSED hold ends; null for OPTED_OUT, which lasts until the user resumes. */
  @Property({ type: 'timestamptz', nullable: true })
  until: Date | null = null;

  /** Meta's error code that set it (131050, 131049); null for a `user_preferences` stop. */
  @Property({ type: 'integer', nullable: true })
  reasonCode: number | null = null;

  /** The failed send's message ID (`wamid…`) that set it, if a send did. */
  @Property({ length: 128, nullable: true })
  messageId: string | null = null;

  /** Meta's time of the fact applied last (a status's or a preference's timestamp). */
  @Property({ type: 'timestamptz' })
  observedAt: Date;

  /** Meta's time of the fact that ended it (a `resume`); null while it holds. */
  @Property({ type: 'timestamptz', nullable: true })
  clearedAt: Date | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(input: {
    organizationId: string;
    wabaId: string;
    recipient: string;
    kind: MarketingHoldKind;
    observedAt: Date;
  }) {
    this.organizationId = input.organizationId;
    this.wabaId = input.wabaId;
    this.recipient = input.recipient;
    this.kind = input.kind;
    this.observedAt = input.observedAt;
  }
}
