import { createHash } from 'node:crypto';

import type { Client } from 'pg';

import type { WebhookDelivery } from 'src/meta-simulator/meta-simulator.types';

import { waitFor } from './wait-for';

/** An inbox row as a test reads it: whether the delivery was processed, and each change's outcome. */
export type InboxRow = { status: string; outcome: Array<{ field: string; outcome: string }> | null };

/**
 * Waits until the service has processed these deliveries (each found by its body's SHA-256 in `webhook_inbox`) and
 * returns their inbox rows: a delivery's 200 only says it was stored.
 */
export function processedInboxRows(db: Client, deliveries: readonly WebhookDelivery[]): Promise<InboxRow[]> {
  const hashes = deliveries.map((delivery) => createHash('sha256').update(delivery.body, 'utf8').digest('hex'));
  return waitFor(
    async () =>
      (await db.query<InboxRow>('SELECT status, outcome FROM webhook_inbox WHERE payload_sha256 = ANY($1)', [hashes]))
        .rows,
    (rows) => rows.length === hashes.length && rows.every((row) => row.status === 'DONE'),
  );
}
