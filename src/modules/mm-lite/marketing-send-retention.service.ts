import { Injectable, Logger } from '@nestjs/common';

import { MARKETING_PRUNE_BATCH, MARKETING_PRUNE_MAX_BATCHES } from './mm-lite.constants';
import { MarketingMessageHistoryRepository } from './sends/marketing-message-history.repository';
import { MarketingRecipientHoldRepository } from './sends/marketing-recipient-hold.repository';

/** What one retention run deleted. */
export interface MarketingSendPruneResult {
  /** Sends older than the retention. */
  sends: number;
  /** PAUSED holds whose pause had ended. */
  pauses: number;
  /** Statements run, both tables together. */
  batches: number;
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * Keeps `marketing_messages` to the configured retention: sends made more than `retentionDays` ago are
 * deleted in batches of {@link MARKETING_PRUNE_BATCH}, each its own short statement found by index, so the
 * sends and status webhooks writing the table never wait on it for long; PAUSED holds whose pause ended go
 * too. OPTED_OUT holds stay until the user resumes, however old. The scheduler decides when it runs;
 * instances running it at once skip each other's rows (SKIP LOCKED), so each row is deleted once.
 */
@Injectable()
export class MarketingSendRetentionService {
  private readonly logger = new Logger(MarketingSendRetentionService.name);

  constructor(
    private readonly history: MarketingMessageHistoryRepository,
    private readonly holds: MarketingRecipientHoldRepository,
  ) {}

  async prune(
    retentionDays: number,
    now: Date = new Date(),
    batchSize: number = MARKETING_PRUNE_BATCH,
    maxBatches: number = MARKETING_PRUNE_MAX_BATCHES,
  ): Promise<MarketingSendPruneResult> {
    const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
    const sends = await this.inBatches((limit) => this.history.pruneSends(cutoff, limit), batchSize, maxBatches);
    const pauses = await this.inBatches((limit) => this.holds.pruneEndedPauses(now, limit), batchSize, maxBatches);
    if (sends.deleted + pauses.deleted > 0) {
      this.logger.log(
        `Marketing sends: ${sends.deleted} sends older than ${retentionDays} days and ${pauses.deleted} ended pauses pruned`,
      );
    }
    return { sends: sends.deleted, pauses: pauses.deleted, batches: sends.batches + pauses.batches };
  }

  private async inBatches(
    batch: (limit: number) => Promise<number>,
    batchSize: number,
    maxBatches: number,
  ): Promise<{ deleted: number; batches: number }> {
    let deleted = 0;
    let batches = 0;
    while (batches < maxBatches) {
      const count = await batch(batchSize);
      batches += 1;
      deleted += count;
      if (count < batchSize) {
        break;
      }
      // Let the sends and status updates that queued behind this batch run before the next one.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { deleted, batches };
  }
}
