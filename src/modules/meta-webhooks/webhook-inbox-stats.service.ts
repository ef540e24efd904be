import { Injectable } from '@nestjs/common';

import { type WebhookInboxBacklog, WebhookInboxRepository } from './webhook-inbox.repository';

export type { WebhookInboxBacklog } from './webhook-inbox.repository';

/**
 * What the webhook inbox holds, for operators (`/metrics`). A service of its own rather than a method of
 * MetaWebhooksService: that one reaches the worker and through it the Graph gateway, which reports its calls
 * to the metrics, so metrics depending on it would close a circle.
 */
@Injectable()
export class WebhookInboxStatsService {
  constructor(private readonly inbox: WebhookInboxRepository) {}

  /**
   * The rows not yet processed (PENDING, PROCESSING) and parked (FAILED, UNPROCESSABLE), by status, and the
   * age of the oldest unprocessed one: read from the database, so current and right with several instances.
   */
  backlog(): Promise<WebhookInboxBacklog> {
    return this.inbox.backlog();
  }
}
