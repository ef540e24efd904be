import { Logger } from '@nestjs/common';
import { Client, type Notification } from 'pg';

import { LiveEventRelay } from './live-event.relay';
import { LIVE_EVENTS_CHANNEL, LIVE_EVENTS_RECONNECT_DELAYS_MS } from './live-events.constants';

/**
 * The relay over PostgreSQL LISTEN/NOTIFY, on one dedicated connection per instance (a pooled connection
 * cannot hold a LISTEN), opened when first needed. The same connection sends the notifications: one
 * statement per flush, `pg_notify` over the payloads, outside any transaction.
 *
 * Sending after the changes' commit (the hub is fed by domain events, which are published after the commit)
 * rather than inside their transactions keeps the notifying off the owners' transactions: PostgreSQL
 * serializes the commits of transactions that notified (one global lock on the notification queue), which
 * would put every webhook and sync transaction in one line, and the commit's frames would be held by the
 * slowest of them. The cost is that a crash between a commit and its flush loses its frames, like any other
 * in-memory domain event.
 *
 * When the connection is lost, the hub is told (it ends its streams, whose clients reconnect and refetch)
 * and the next {@link listen} or {@link publish} connects again, after a back-off.
 */
export class PostgresLiveEventRelay extends LiveEventRelay {
  private readonly logger = new Logger(PostgresLiveEventRelay.name);
  private connection: Promise<Client> | null = null;
  private closed = false;
  /** Failed connection attempts in a row, and when the next may be made (the back-off). */
  private failures = 0;
  private retryAt = 0;

  constructor(private readonly databaseUrl: string) {
    super();
  }

  async listen(): Promise<void> {
    await this.connect();
  }

  async publish(payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0) {
      return;
    }
    const client = await this.connect();
    await client.query(
      'SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS t(payload, n) ORDER BY n',
      [LIVE_EVENTS_CHANNEL, payloads],
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = null;
    const client = await connection?.catch(() => null);
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<Client> {
    if (this.closed) {
      return Promise.reject(new Error('The live-events relay is closed'));
    }
    if (this.connection === null && Date.now() < this.retryAt) {
      return Promise.reject(new Error('The live-events relay is reconnecting to PostgreSQL'));
    }
    this.connection ??= this.open().then(
      (client) => {
        this.failures = 0;
        return client;
      },
      (error: unknown) => {
        this.connection = null;
        this.backOff();
        throw error;
      },
    );
    return this.connection;
  }

  private backOff(): void {
    const delays = LIVE_EVENTS_RECONNECT_DELAYS_MS;
    this.retryAt = Date.now() + delays[Math.min(this.failures, delays.length - 1)];
    this.failures += 1;
  }

  private async open(): Promise<Client> {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'whatsapp-assets live events',
      // A half-open connection would hold streams that never get a frame: let TCP notice.
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    client.on('notification', (message: Notification) => {
      if (message.channel === LIVE_EVENTS_CHANNEL && message.payload !== undefined) {
        this.handlers?.onPayload(message.payload);
      }
    });
    let lost = false;
    const onLost = (reason: string) => {
      if (lost) {
        return;
      }
      lost = true;
      if (this.connection !== null && !this.closed) {
        this.logger.warn(`Live events: the listening connection was lost (${reason}); streams end, clients reconnect`);
      }
      // The first reconnection is made at once (by the next listen or publish); failed ones back off.
      this.connection = null;
      void client.end().catch(() => undefined);
      this.handlers?.onLost();
    };
    client.on('error', (error: Error) => onLost(error.message));
    client.on('end', () => onLost('closed'));
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_EVENTS_CHANNEL}`);
    } catch (error) {
      lost = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }
}
