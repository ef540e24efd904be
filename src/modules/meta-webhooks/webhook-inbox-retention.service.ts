import { Injectable, Logger } from '@nestjs/common';

import { WEBHOOK_DONE_RETENTION_MS, WEBHOOK_PRUNE_BATCH, WEBHOOK_PRUNE_MAX_BATCHES } from './meta-webhooks.constants';
import { WebhookInboxRepository } from './webhook-inbox.repository';

/** What one prune run deleted. */
export interface WebhookInboxPruneResult {
  deleted: number;
  batches: number;
}

/**
 * Keeps the inbox from growing without end: DONE rows older than {@link WEBHOOK_DONE_RETENTION_MS} are
 * deleted in batches of {@link WEBHOOK_PRUNE_BATCH}, each its own short statement found by index, so the
 * worker's claims and the intake's inserts never wait on it for long. FAILED and UNPROCESSABLE rows stay for
 * an operator. The scheduler decides when it runs; instances running it at once skip each other's rows.
 */
@Injectable()
export class WebhookInboxRetentionService {
  private readonly logger = new Logger(WebhookInboxRetentionService.name);

  constructor(private readonly inbox: WebhookInboxRepository) {}

  async pruneProcessed(
    retentionMs: number = WEBHOOK_DONE_RETENTION_MS,
    batchSize: number = WEBHOOK_PRUNE_BATCH,
    maxBatches: number = WEBHOOK_PRUNE_MAX_BATCHES,
  ): Promise<WebhookInboxPruneResult> {
    let deleted = 0;
    let batches = 0;
    while (batches < maxBatches) {
      const count = await this.inbox.pruneDone(retentionMs, batchSize);
      batches += 1;
      deleted += count;
      if (count < batchSize) {
        break;
      }
      // Let the claims and inserts that queued behind this batch run before the next one.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) {
      this.logger.log(`Webhook inbox: ${deleted} processed rows pruned in ${batches} batches`);
    }
    return { deleted, batches };
  }
}
