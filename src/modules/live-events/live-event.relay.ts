/** What a relay tells the hub: a payload published by some instance, or that it lost its subscription. */
export interface LiveEventRelayHandlers {
  /** A payload published by any instance (this one included), as published. */
  onPayload(payload: string): void;
  /** The subscription was lost: payloads published until {@link LiveEventRelay.listen} succeeds again are missed. */
  onLost(): void;
}

/**
 * Carries the frames' payloads between the instances of the service: PostgreSQL LISTEN/NOTIFY by default,
 * Redis pub/sub when `REDIS_URL` is set (the same choice as the shared rate-limit state). Delivery is
 * at-most-once: a client that (re)connects refetches on its `ready` frame.
 */
export abstract class LiveEventRelay {
  /** Set once, by the hub, before the first {@link listen}. */
  protected handlers: LiveEventRelayHandlers | null = null;

  /** Where received payloads and losses go. */
  attach(handlers: LiveEventRelayHandlers): void {
    this.handlers = handlers;
  }

  /**
   * Subscribes (or checks the subscription still stands); resolves once every payload published from now on,
   * by any instance, will be received. Rejects when the channel cannot be reached.
   */
  abstract listen(): Promise<void>;

  /** Publishes the payloads (each below 8,000 bytes), in order. Rejects when they could not be sent. */
  abstract publish(payloads: readonly string[]): Promise<void>;

  /** Unsubscribes and closes the relay's connections. */
  abstract close(): Promise<void>;
}
