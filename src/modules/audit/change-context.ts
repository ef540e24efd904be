import type { EntityManager } from '@mikro-orm/postgresql';

import type { Actor } from 'src/modules/organizations/actor';

/** Where a change came from (audit `source`): how the service learned the value, whoever asked. */
export enum ChangeSource {
  /** The caller's own request made the change (connect, setup, channel switch). */
  API = 'API',
  /** A webhook payload from Meta carried it. */
  WEBHOOK = 'WEBHOOK',
  /** A read of Meta found it, whether the periodic round, an admin round, a key or a webhook asked for the read. */
  SYNC = 'SYNC',
}

/**
 * A check that runs first inside a change's transaction and throws to abort it: the webhook worker checks
 * there, under a lock, that it still holds the lease of the delivery the change comes from, so that an
 * instance that lost its lease never applies.
 */
export type ChangeFence = (em: EntityManager) => Promise<void>;

/** Who changed something, for the audit record. */
export interface ChangeContext {
  /** How the service learned the new value ({@link ChangeSource}); not who asked for it. */
  source: ChangeSource;
  /** Who made the change or asked for the read that found it ({@link Actor}). */
  actor: Actor;
  occurredAt?: Date;
  /** Runs first inside the change's transaction (see {@link ChangeFence}). */
  fence?: ChangeFence;
}
