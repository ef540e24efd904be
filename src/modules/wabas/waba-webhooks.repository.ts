import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { boundRows } from 'src/common/database/bound-sql';

import { WabaConnection, WebhookSubscriptionStatus } from './wabas.constants';

/** A WABA a round claimed for a webhooks check, with its sealed business token. */
export interface ClaimedWebhooksCheck {
  wabaId: string;
  sealedToken: string;
}

/**
 * The SQL of the webhooks checks on `wabas` (kept apart from WabaRepository, which holds the rounds' claims
 * and the list). Raw SQL, across organizations by design: the rounds serve every organization's WABAs.
 */
@Injectable()
export class WabaWebhooksRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Claims up to `limit` WABAs whose webhooks check is due by `cutoff` (FOR UPDATE SKIP LOCKED, one
   * statement) and moves their next check `leaseMs` ahead, so that another instance does not check them
   * meanwhile and a dead instance's claims come back once the lease ends. Only WABAs whose subscription
   * step is done and whose token and connection stand: a rejected token waits for re-authorization, a
   * WABA Meta disconnected has no subscription to keep, and a pending subscription is the retry job's.
   */
  async claimDue(cutoff: Date, leaseMs: number, limit: number): Promise<ClaimedWebhooksCheck[]> {
    const rows = await boundRows<{ waba_id: string; access_token_sealed: string }>(
      this.em,
      `UPDATE wabas SET webhooks_next_check_at = now() + (? * interval '1 millisecond')
        WHERE id IN (
              SELECT id FROM wabas
               WHERE webhooks_next_check_at <= ?
                 AND connection = ?
                 AND disconnected_reason IS NULL
                 AND subscription_status = ?
               ORDER BY webhooks_next_check_at, id
               LIMIT ?
                 FOR UPDATE SKIP LOCKED)
    RETURNING waba_id, access_token_sealed`,
      [leaseMs, cutoff, WabaConnection.CONNECTED, WebhookSubscriptionStatus.SUBSCRIBED, limit],
    );
    return rows.map((row) => ({ wabaId: row.waba_id, sealedToken: row.access_token_sealed }));
  }
}
