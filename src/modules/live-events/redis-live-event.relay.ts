import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

import { LiveEventRelay } from './live-event.relay';
import { LIVE_EVENTS_CHANNEL } from './live-events.constants';

/**
 * The relay over Redis pub/sub (`REDIS_URL`): a subscriber connection opened when first needed, and a
 * publishing one. Publishing does not queue while Redis is away (the frames are dropped with a warning,
 * like the rate limiter fails open); a lost subscriber connection ends the hub's streams, whose clients
 * reconnect and refetch once it is back.
 */
export class RedisLiveEventRelay extends LiveEventRelay {
  private readonly logger = new Logger(RedisLiveEventRelay.name);
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private subscription: Promise<void> | null = null;
  private lastWarningAt = 0;

  constructor(url: string) {
    super();
    const options = { lazyConnect: true, connectTimeout: 2_000, enableOfflineQueue: false, maxRetriesPerRequest: 0 };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, autoResubscribe: false });
    this.publisher.on('error', (error: Error) => this.warn(`Redis live-events publisher: ${error.message}`));
    this.subscriber.on('error', (error: Error) => this.warn(`Redis live-events subscriber: ${error.message}`));
    this.subscriber.on('message', (channel: string, payload: string) => {
      if (channel === LIVE_EVENTS_CHANNEL) {
        this.handlers?.onPayload(payload);
      }
    });
    this.subscriber.on('close', () => {
      if (this.subscription !== null) {
        this.subscription = null;
        this.handlers?.onLost();
      }
    });
  }

  listen(): Promise<void> {
    this.subscription ??= this.subscribe().catch((error: unknown) => {
      this.subscription = null;
      throw error;
    });
    return this.subscription;
  }

  async publish(payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0) {
      return;
    }
    if (this.publisher.status === 'wait' || this.publisher.status === 'end') {
      await this.publisher.connect();
    }
    const pipeline = this.publisher.pipeline();
    for (const payload of payloads) {
      pipeline.publish(LIVE_EVENTS_CHANNEL, payload);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) {
      throw failed[0] as Error;
    }
  }

  close(): Promise<void> {
    this.subscription = null;
    this.subscriber.disconnect();
    this.publisher.disconnect();
    return Promise.resolve();
  }

  private async subscribe(): Promise<void> {
    if (this.subscriber.status === 'wait' || this.subscriber.status === 'end') {
      await this.subscriber.connect();
    }
    await this.subscriber.subscribe(LIVE_EVENTS_CHANNEL);
  }

  private warn(message: string): void {
    // A Redis outage repeats the same error on every retry: once every few seconds is enough.
    if (Date.now() - this.lastWarningAt > 5_000) {
      this.lastWarningAt = Date.now();
      this.logger.warn(message);
    }
  }
}
