import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One pause Meta asked for, shared by every instance on the database (see {@link PostgresMetaThrottleStore}):
 * a business object's (its Meta ID) or the whole app's (`app`). Not a domain entity: no UUID, no timestamps.
 * The table is created UNLOGGED by its migration: losing the pauses in a crash costs at most one more call
 * per paused object, which Meta answers by throttling again.
 */
@Entity({ tableName: 'meta_throttle_pauses' })
export class MetaThrottlePause {
  @PrimaryKey({ length: 64 })
  scope: string;

  /** Until when nobody should call Meta for this scope; only ever moved later. */
  @Property({ type: 'timestamptz' })
  pausedUntil: Date;

  constructor(scope: string, pausedUntil: Date) {
    this.scope = scope;
    this.pausedUntil = pausedUntil;
  }
}
