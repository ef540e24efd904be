import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';

import type { AllConfig } from 'config/config.type';
import { describeError } from 'src/common/logging/describe-error';

import { LiveEventRelay } from './live-event.relay';
import { decodeBatch, encodeBatch, frameKey, type LiveFrame } from './live-frame';
import { LIVE_EVENTS_FLUSH_DELAY_MS } from './live-events.constants';
import { StreamsUnavailableException, TooManyStreamsException } from './live-events.exception';
import { LiveStream } from './live-stream';

/** The organization ID at the head of a payload (`{"o":"<id>",…`), read without parsing the rest. */
const PAYLOAD_ORGANIZATION = /^\{"o":"([^"\\]+)"/;

/**
 * The live-events hub of one instance. Frames queued here (by the domain-event listener, after the commits
 * that made the changes) are coalesced per organization and sent through the {@link LiveEventRelay} at most
 * every {@link LIVE_EVENTS_FLUSH_DELAY_MS}, one flush in flight at a time, so a burst of commits costs one
 * notification per organization rather than one per row. What the relay brings back, from every instance,
 * goes to this instance's open streams of that organization, and to no other organization's.
 */
@Injectable()
export class LiveEventsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LiveEventsService.name);
  private readonly streams = new Map<string, Set<LiveStream>>();
  /** Organizations' queued frames, by {@link frameKey}: the same change named twice is sent once. */
  private queued = new Map<string, Map<string, LiveFrame>>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly maxStreams: number;
  private readonly keepAliveMs: number;

  constructor(
    private readonly relay: LiveEventRelay,
    config: ConfigService<AllConfig, true>,
  ) {
    this.maxStreams = config.get('liveEvents.maxStreamsPerOrganization', { infer: true });
    this.keepAliveMs = config.get('liveEvents.keepAliveMs', { infer: true });
  }

  onModuleInit(): void {
    this.relay.attach({ onPayload: (payload) => this.deliver(payload), onLost: () => this.endAll() });
    this.keepAliveTimer = setInterval(() => this.keepAlive(), this.keepAliveMs);
    this.keepAliveTimer.unref();
  }

  /**
   * Ends every stream (their clients reconnect elsewhere or later), sends what is still queued and closes the
   * relay. Runs before the HTTP server closes, which would otherwise wait for the open streams forever.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.keepAliveTimer) {
      clearInterval(this.keepAliveTimer);
    }
    this.endAll();
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    await this.flushing;
    await this.flush();
    await this.relay.close();
  }

  /**
   * Opens the organization's stream on `response`: 429 when it has as many open on this instance as it may,
   * 503 when the relay cannot be reached. Once the `ready` frame is written, every frame of the organization
   * committed from then on, on any instance, reaches it.
   */
  async open(organizationId: string, request: Request, response: Response): Promise<void> {
    if (this.closing) {
      throw new StreamsUnavailableException('the instance is stopping');
    }
    const open = this.streams.get(organizationId) ?? new Set<LiveStream>();
    if (open.size >= this.maxStreams) {
      throw new TooManyStreamsException(this.maxStreams);
    }
    // Counted at once, so that concurrent opens cannot all pass the cap while the relay connects.
    const stream = new LiveStream(organizationId, request, response, (ended) => this.release(ended));
    open.add(stream);
    this.streams.set(organizationId, open);
    try {
      await this.relay.listen();
    } catch (error) {
      this.release(stream);
      this.logger.warn(`Live events: cannot subscribe (${describeError(error).message})`);
      throw new StreamsUnavailableException('the channel between instances cannot be reached');
    }
    if (this.closing || !open.has(stream)) {
      // Stopped, or the client left, while the relay connected.
      this.release(stream);
      if (this.closing) {
        throw new StreamsUnavailableException('the instance is stopping');
      }
      return;
    }
    stream.start();
  }

  /** Queues a frame of the organization for the next flush. */
  queue(organizationId: string, frame: LiveFrame): void {
    if (this.closing && this.flushTimer === null && this.flushing === null) {
      // After the last flush of a stopping instance: nothing would send it.
      return;
    }
    let frames = this.queued.get(organizationId);
    if (!frames) {
      frames = new Map<string, LiveFrame>();
      this.queued.set(organizationId, frames);
    }
    frames.set(frameKey(frame), frame);
    this.scheduleFlush();
  }

  /** Open streams on this instance, all organizations (for tests and metrics). */
  openStreams(organizationId?: string): number {
    if (organizationId !== undefined) {
      return this.streams.get(organizationId)?.size ?? 0;
    }
    let count = 0;
    for (const open of this.streams.values()) {
      count += open.size;
    }
    return count;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.flushing !== null) {
      // The flush in flight schedules the next one when it is done.
      return;
    }
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (this.queued.size > 0 && !this.closing) {
          this.scheduleFlush();
        }
      });
    }, LIVE_EVENTS_FLUSH_DELAY_MS);
  }

  /** Sends every queued frame, one or a few payloads per organization, in one relay call. */
  private async flush(): Promise<void> {
    if (this.queued.size === 0) {
      return;
    }
    const queued = this.queued;
    this.queued = new Map();
    const payloads = [...queued.entries()].flatMap(([organizationId, frames]) =>
      encodeBatch({ organizationId, frames: [...frames.values()] }),
    );
    try {
      await this.relay.publish(payloads);
    } catch (error) {
      // The streams' clients reconnect (the relay's loss ends them) and refetch; the frames are not kept.
      this.logger.warn(`Live events: ${payloads.length} notifications not sent (${describeError(error).message})`);
    }
  }

  private deliver(payload: string): void {
    // Most payloads concern organizations with no stream here: skip those without parsing them.
    const organizationId = PAYLOAD_ORGANIZATION.exec(payload)?.[1];
    const open = organizationId === undefined ? undefined : this.streams.get(organizationId);
    if (!open || open.size === 0) {
      return;
    }
    const batch = decodeBatch(payload);
    if (!batch || batch.organizationId !== organizationId) {
      return;
    }
    for (const stream of open) {
      stream.send(batch.frames);
    }
  }

  private keepAlive(): void {
    for (const open of this.streams.values()) {
      for (const stream of open) {
        stream.keepAlive();
      }
    }
  }

  private endAll(): void {
    for (const open of [...this.streams.values()]) {
      for (const stream of [...open]) {
        stream.end();
      }
    }
  }

  private release(stream: LiveStream): void {
    const open = this.streams.get(stream.organizationId);
    if (!open?.delete(stream)) {
      return;
    }
    if (open.size === 0) {
      this.streams.delete(stream.organizationId);
    }
  }
}
