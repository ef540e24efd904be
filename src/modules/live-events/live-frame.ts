import { LIVE_EVENTS_MAX_PAYLOAD_BYTES } from './live-events.constants';

/** What changed on a WABA, as a `waba` frame names it. */
export type WabaFrameKind = 'connected' | 'status' | 'mm-lite' | 'connection' | 'updated';

/** What changed on a number, as a `phone-number` frame names it. */
export type PhoneNumberFrameKind = 'added' | 'updated' | 'sending-channel' | 'registration';

/**
 * One frame of `GET /api/v1/events`: which resource changed and how, nothing else (the client refetches it
 * with its own key).
 */
export type LiveFrame =
  | { event: 'waba'; data: { wabaId: string; kind: WabaFrameKind } }
  | { event: 'phone-number'; data: { phoneNumberId: string; wabaId: string; kind: PhoneNumberFrameKind } };

/** One organization's frames, as carried between instances. */
export interface LiveBatch {
  organizationId: string;
  frames: LiveFrame[];
}

/** The wire form of a {@link LiveBatch}: short keys, since PostgreSQL caps a notification near 8 KB. */
interface WireBatch {
  o: string;
  f: LiveFrame[];
}

/** A frame as its `text/event-stream` lines, with its `id:`. */
export function formatFrame(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The key under which a flush keeps one copy of a frame (the same change named twice is sent once). */
export function frameKey(frame: LiveFrame): string {
  return frame.event === 'waba'
    ? `w:${frame.data.wabaId}:${frame.data.kind}`
    : `p:${frame.data.phoneNumberId}:${frame.data.kind}`;
}

/**
 * The payloads that carry `batch`: one when its frames fit in {@link LIVE_EVENTS_MAX_PAYLOAD_BYTES}, else as
 * many as needed, each a batch of the same organization.
 */
export function encodeBatch(batch: LiveBatch, maxBytes = LIVE_EVENTS_MAX_PAYLOAD_BYTES): string[] {
  const payloads: string[] = [];
  const head = `{"o":${JSON.stringify(batch.organizationId)},"f":[`;
  let frames: string[] = [];
  let size = head.length + 2;
  for (const frame of batch.frames) {
    const text = JSON.stringify(frame);
    if (frames.length > 0 && size + text.length + 1 > maxBytes) {
      payloads.push(`${head}${frames.join(',')}]}`);
      frames = [];
      size = head.length + 2;
    }
    frames.push(text);
    size += text.length + 1;
  }
  if (frames.length > 0) {
    payloads.push(`${head}${frames.join(',')}]}`);
  }
  return payloads;
}

/** A payload read back from the channel, or null when it is not one this service sent. */
export function decodeBatch(payload: string): LiveBatch | null {
  let wire: unknown;
  try {
    wire = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!isWireBatch(wire)) {
    return null;
  }
  return { organizationId: wire.o, frames: wire.f.filter(isFrame) };
}

function isWireBatch(value: unknown): value is WireBatch {
  const wire = value as Partial<WireBatch> | null;
  return typeof wire === 'object' && wire !== null && typeof wire.o === 'string' && Array.isArray(wire.f);
}

function isFrame(value: unknown): value is LiveFrame {
  const frame = value as { event?: unknown; data?: Record<string, unknown> } | null;
  if (typeof frame !== 'object' || frame === null || typeof frame.data !== 'object' || frame.data === null) {
    return false;
  }
  const { data } = frame;
  if (frame.event === 'waba') {
    return typeof data.wabaId === 'string' && typeof data.kind === 'string';
  }
  return (
    frame.event === 'phone-number' &&
    typeof data.phoneNumberId === 'string' &&
    typeof data.wabaId === 'string' &&
    typeof data.kind === 'string'
  );
}
