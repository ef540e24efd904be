import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { MetaBackoffRecord, MetaCallObserver, MetaCallRecord } from 'src/modules/meta-gateway/meta-call-observer';
import { WebhookInboxStatus } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import {
  type WebhookInboxBacklog,
  WebhookInboxStatsService,
} from 'src/modules/meta-webhooks/webhook-inbox-stats.service';
import type { SyncRoundObserver } from 'src/modules/sync/sync-round.observer';
import type { SyncRoundResult } from 'src/modules/sync/sync-round.types';

import {
  GRAPH_DURATION_BUCKETS,
  HTTP_DURATION_BUCKETS,
  INBOX_SCRAPE_TIMEOUT_MS,
  SYNC_ROUND_DURATION_BUCKETS,
} from './metrics.constants';

/**
 * The service's Prometheus metrics, in a registry of its own (never prom-client's global one, so several
 * apps in one process, as in the tests, do not share series). It observes the Graph gateway and the
 * re-sync rounds through their optional observer ports, HTTP requests through the middleware, and asks
 * meta-webhooks for the inbox's depth and lag at scrape time (read from the database: always current, and
 * correct with several instances on one database).
 */
@Injectable()
export class MetricsService implements MetaCallObserver, SyncRoundObserver {
  readonly registry = new Registry();
  private readonly logger = new Logger(MetricsService.name);

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly graphCalls = new Counter({
    name: 'meta_graph_calls_total',
    help: 'Graph API HTTP attempts by method, endpoint template and outcome (ok or the error class)',
    labelNames: ['method', 'endpoint', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly graphDuration = new Histogram({
    name: 'meta_graph_call_duration_seconds',
    help: 'Graph API HTTP attempts by method, endpoint template and outcome',
    labelNames: ['method', 'endpoint', 'outcome'] as const,
    buckets: GRAPH_DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly backoffs = new Counter({
    name: 'meta_throttle_backoffs_total',
    help: 'Back-offs because Meta throttled: retry sleeps, and pauses of one business object or of the app',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly backoffSeconds = new Counter({
    name: 'meta_throttle_backoff_seconds_total',
    help: 'Time the back-offs asked for, when known',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly roundDuration = new Histogram({
    name: 'sync_round_duration_seconds',
    help: 'Re-sync rounds run by this instance, by outcome (completed, failed)',
    labelNames: ['outcome'] as const,
    buckets: SYNC_ROUND_DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly roundWabas = new Counter({
    name: 'sync_round_wabas_total',
    help: 'WABAs handled by re-sync rounds, by outcome (succeeded, failed, skipped)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly roundMetaCalls = new Counter({
    name: 'sync_round_meta_calls_total',
    help: 'Graph calls made by re-sync rounds',
    registers: [this.registry],
  });

  constructor(private readonly inboxStats: WebhookInboxStatsService) {
    collectDefaultMetrics({ register: this.registry });
    // One query per scrape feeds the inbox gauges: prom-client runs every collect() concurrently
    // before rendering, so each awaits the same in-flight reading.
    let inFlight: Promise<WebhookInboxBacklog | null> | null = null;
    const read = (): Promise<WebhookInboxBacklog | null> => {
      inFlight ??= this.readInbox().finally(() => {
        inFlight = null;
      });
      return inFlight;
    };
    const gauge = (
      name: string,
      help: string,
      labelNames: string[],
      apply: (gauge: Gauge, reading: WebhookInboxBacklog | null) => void,
    ): Gauge =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        async collect(this: Gauge): Promise<void> {
          apply(this, await read());
        },
      });
    gauge('webhook_inbox_depth', 'Stored webhook deliveries not yet processed, by status', ['status'], (g, r) => {
      if (r) {
        g.set({ status: WebhookInboxStatus.PENDING }, r.pending);
        g.set({ status: WebhookInboxStatus.PROCESSING }, r.processing);
      }
    });
    gauge('webhook_inbox_lag_seconds', 'Age of the oldest unprocessed delivery (0 when drained)', [], (g, r) => {
      if (r) {
        g.set(r.oldestAgeSeconds);
      }
    });
    gauge('webhook_inbox_failed', 'Deliveries parked as FAILED after their last attempt', [], (g, r) => {
      if (r) {
        g.set(r.failed);
      }
    });
    gauge(
      'webhook_inbox_unprocessable',
      'Signed deliveries acknowledged but parked as UNPROCESSABLE (not UTF-8 JSON that jsonb can hold)',
      [],
      (g, r) => {
        if (r) {
          g.set(r.unprocessable);
        }
      },
    );
    gauge('webhook_inbox_scrape_success', '1 when the inbox could be read at this scrape, else 0', [], (g, r) => {
      g.set(r ? 1 : 0);
    });
  }

  /** Prometheus text exposition format (version 0.0.4). */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** One HTTP request, labelled with its route template (never the raw URL, whose IDs are unbounded). */
  recordHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  recordCall(record: MetaCallRecord): void {
    const labels = { method: record.method, endpoint: record.endpoint, outcome: record.outcome };
    this.graphCalls.inc(labels);
    this.graphDuration.observe(labels, record.durationMs / 1000);
  }

  recordBackoff(record: MetaBackoffRecord): void {
    this.backoffs.inc({ kind: record.kind, reason: record.reason });
    if (record.delayMs !== null) {
      this.backoffSeconds.inc({ kind: record.kind }, record.delayMs / 1000);
    }
  }

  recordRound(result: SyncRoundResult, failed: boolean): void {
    this.roundDuration.observe({ outcome: failed ? 'failed' : 'completed' }, result.durationMs / 1000);
    this.roundWabas.inc({ outcome: 'succeeded' }, result.succeeded);
    this.roundWabas.inc({ outcome: 'failed' }, result.failed);
    this.roundWabas.inc({ outcome: 'skipped' }, result.skipped);
    this.roundMetaCalls.inc(result.metaCalls);
  }

  /**
   * The inbox backlog for this scrape; null when the database does not answer in time or fails: the scrape
   * still succeeds with the other series.
   */
  private async readInbox(): Promise<WebhookInboxBacklog | null> {
    const query = this.inboxStats.backlog();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), INBOX_SCRAPE_TIMEOUT_MS);
    });
    try {
      const backlog = await Promise.race([query, timeout]);
      if (backlog === null) {
        this.logger.warn('Reading the webhook inbox for /metrics timed out');
      }
      return backlog;
    } catch (error) {
      this.logger.warn(
        `Reading the webhook inbox for /metrics failed: ${error instanceof Error ? error.name : 'error'}`,
      );
      return null;
    } finally {
      clearTimeout(timer);
      // A late answer after the timeout must not surface as an unhandled rejection.
      query.catch(() => undefined);
    }
  }
}
