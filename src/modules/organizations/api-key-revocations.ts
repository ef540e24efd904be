import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Client, type Notification } from 'pg';

import type { AllConfig } from 'config/config.type';

import { ApiKeyCache } from './api-key-cache';
import { API_KEY_REVOCATIONS_RECONNECT_DELAYS_MS, API_KEY_REVOKED_CHANNEL } from './organizations.constants';

/**
 * Hears every instance's key revocations (PostgreSQL LISTEN on {@link API_KEY_REVOKED_CHANNEL}, on one
 * dedicated connection per instance: a pooled one cannot hold a LISTEN) and keeps this instance's
 * {@link ApiKeyCache} trusted only while it hears them. The revocation's own statement notifies, so the
 * notification is sent exactly when the revocation commits. When the connection is lost the cache is emptied
 * and disabled at once (every request reads `api_keys` again) and the connection is made again after a back-off;
 * once it listens, the cache is enabled again.
 */
@Injectable()
export class ApiKeyRevocations implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyRevocations.name);
  private readonly databaseUrl: string;
  private client: Client | null = null;
  private pid: number | null = null;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly cache: ApiKeyCache,
    config: ConfigService<AllConfig, true>,
  ) {
    this.databaseUrl = config.get('database.url', { infer: true });
  }

  /** Listens before the first request, when it can; a failure only leaves the cache off until it can. */
  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.cache.disable();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** The listening connection's server process (for tests that cut it); null when not listening. */
  get backendPid(): number | null {
    return this.client ? this.pid : null;
  }

  private async listen(): Promise<void> {
    if (this.closed) {
      return;
    }
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'whatsapp-assets api-key revocations',
      // A half-open connection would hear nothing while the cache trusts it: let TCP notice.
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    let lost = false;
    const onLost = (reason: string): void => {
      if (lost) {
        return;
      }
      lost = true;
      this.cache.disable();
      if (this.client === client) {
        this.client = null;
      }
      void client.end().catch(() => undefined);
      if (!this.closed) {
        this.logger.warn(
          `API key revocations: the listening connection was lost (${reason}); keys are read per request`,
        );
        this.retry();
      }
    };
    client.on('notification', (message: Notification) => {
      if (message.channel === API_KEY_REVOKED_CHANNEL && message.payload) {
        this.cache.forget(message.payload);
      }
    });
    client.on('error', (error: Error) => onLost(error.message));
    client.on('end', () => onLost('closed'));
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEY_REVOKED_CHANNEL}`);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      this.pid = rows[0]?.pid ?? null;
    } catch (error) {
      if (!lost) {
        lost = true;
        await client.end().catch(() => undefined);
        if (!this.closed) {
          this.logger.warn(
            `API key revocations: cannot listen (${error instanceof Error ? error.message : 'unexpected error'}); keys are read per request`,
          );
          this.retry();
        }
      }
      return;
    }
    if (this.closed || lost) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    this.cache.enable();
  }

  private retry(): void {
    if (this.retryTimer || this.closed) {
      return;
    }
    const delays = API_KEY_REVOCATIONS_RECONNECT_DELAYS_MS;
    const delay = delays[Math.min(this.failures, delays.length - 1)];
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.listen();
    }, delay);
    this.retryTimer.unref();
  }
}
