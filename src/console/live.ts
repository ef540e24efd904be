/**
 * Live updates: the organization's change stream (`GET /api/v1/events`, server-sent events read with fetch,
 * since EventSource cannot send the Authorization header). While the stream is not there — the endpoint
 * answers 404, the connection drops or goes silent — the console polls every 2 s instead and reconnects
 * with a growing delay, so a change made by a webhook or a sync shows within 2 s either way.
 */
import { session } from './api';

/** What changed: a WABA, a number, or (`poll`) possibly anything, when polling or after reconnecting. */
export type LiveFrame =
  { kind: 'waba'; wabaId: string } | { kind: 'phone-number'; wabaId: string; phoneNumberId: string } | { kind: 'poll' };

type Listener = (frame: LiveFrame) => void;

const POLL_MS = 2000;
// The server sends a keep-alive every 15 s: three missed mean the connection is gone.
const SILENCE_MS = 45_000;
const MAX_BACKOFF_MS = 30_000;

const listeners = new Set<Listener>();
let running: AbortController | null = null;
let pollTimer: ReturnType<typeof setInterval> | null = null;

/** Calls `listener` on every change until the returned function is called. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  if (!running) {
    running = new AbortController();
    void connectLoop(running.signal);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      running?.abort();
      running = null;
      stopPolling();
    }
  };
}

function emit(frame: LiveFrame): void {
  for (const listener of [...listeners]) {
    listener(frame);
  }
}

function startPolling(): void {
  if (!pollTimer) {
    pollTimer = setInterval(() => emit({ kind: 'poll' }), POLL_MS);
  }
}

function stopPolling(): void {
  if (pollTimer) {
    clearInterval(pollTimer);
    pollTimer = null;
  }
}

async function connectLoop(signal: AbortSignal): Promise<void> {
  let backoff = 1000;
  while (!signal.aborted) {
    const streamed = await readStream(signal).catch(() => false);
    if (signal.aborted) {
      return;
    }
    startPolling();
    backoff = streamed ? 1000 : Math.min(backoff * 2, MAX_BACKOFF_MS);
    await delay(backoff, signal);
  }
}

/** Reads the stream until it ends; resolves whether it was ever open (its `ready` frame arrived). */
async function readStream(signal: AbortSignal): Promise<boolean> {
  const key = session.key();
  if (!key) {
    return false;
  }
  const local = new AbortController();
  const abort = () => local.abort();
  signal.addEventListener('abort', abort);
  let silence: ReturnType<typeof setTimeout> | undefined;
  const heard = () => {
    clearTimeout(silence);
    silence = setTimeout(abort, SILENCE_MS);
  };
  let opened = false;
  try {
    heard();
    const response = await fetch('/api/v1/events', {
      headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' },
      signal: local.signal,
      cache: 'no-store',
    });
    if (!response.ok || !response.body) {
      return false;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return opened;
      }
      heard();
      buffer += value.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame = parseFrame(block);
        if (frame?.event === 'ready') {
          opened = true;
          stopPolling();
          // Whatever changed while the stream was down.
          emit({ kind: 'poll' });
        } else if (frame) {
          dispatch(frame.event, frame.data);
        }
      }
    }
  } finally {
    clearTimeout(silence);
    signal.removeEventListener('abort', abort);
    local.abort();
  }
}

function parseFrame(block: string): { event: string; data: string } | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') {
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') {
      event = value;
    } else if (field === 'data') {
      data.push(value);
    }
  }
  return data.length === 0 && event === 'message' ? null : { event, data: data.join('\n') };
}

function dispatch(event: string, data: string): void {
  let body: { wabaId?: unknown; phoneNumberId?: unknown };
  try {
    body = JSON.parse(data) as typeof body;
  } catch {
    return;
  }
  const wabaId = typeof body.wabaId === 'string' ? body.wabaId : null;
  if (event === 'waba' && wabaId) {
    emit({ kind: 'waba', wabaId });
  } else if (event === 'phone-number' && wabaId && typeof body.phoneNumberId === 'string') {
    emit({ kind: 'phone-number', wabaId, phoneNumberId: body.phoneNumberId });
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
