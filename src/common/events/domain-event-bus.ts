import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

import type { DomainEvent } from './domain-event';

/**
 * A thin typed wrapper over EventEmitter2 that only accepts DomainEvent subclasses. Publish after the
 * flush that made the change durable; delivery is in-process and at-most-once (the re-sync is the net).
 */
@Injectable()
export class DomainEventBus {
  private readonly logger = new Logger(DomainEventBus.name);

  constructor(private readonly emitter: EventEmitter2) {}

  /** Fire and forget: listeners run asynchronously and log their own failures. */
  publish(...events: DomainEvent[]): void {
    for (const event of events) {
      this.logger.debug(`publish ${event.eventName}`);
      this.emitter.emit(event.eventName, event);
    }
  }

  /** Waits for every listener; for callers (and tests) that must see the reactions done. */
  async publishAndWait(...events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      await this.emitter.emitAsync(event.eventName, event);
    }
  }
}
