/** The PostgreSQL NOTIFY channel (and Redis pub/sub channel) that carries frames between instances. */
export const LIVE_EVENTS_CHANNEL = 'whatsapp_assets_live_events';

/**
 * Largest payload of one notification, in bytes: PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more,
 * so an organization's frames of one flush are split into payloads below this.
 */
export const LIVE_EVENTS_MAX_PAYLOAD_BYTES = 7_000;

/**
 * How long queued frames wait for more before they are sent, in milliseconds: the commits of one burst
 * (a webhook batch, a round's chunks, concurrent requests) then share one notification per organization.
 */
export const LIVE_EVENTS_FLUSH_DELAY_MS = 10;

/**
 * A stream whose client reads this far behind (bytes buffered in the process) is ended: the client
 * reconnects and refetches, instead of the process holding frames for a reader that does not read.
 */
export const LIVE_EVENTS_MAX_BUFFERED_BYTES = 1_048_576;

/** Back-off before reconnecting the dedicated listening connection after it was lost, in milliseconds. */
export const LIVE_EVENTS_RECONNECT_DELAYS_MS = [100, 500, 2_000, 5_000] as const;
