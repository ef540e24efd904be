/** One frame of a `text/event-stream`, or a comment line (`event` null, `comment` set). */
export interface StreamFrame {
  id: string | null;
  event: string | null;
  data: unknown;
  comment: string | null;
  /** performance.now() when the frame was read, for latency measurements. */
  receivedAt: number;
}

/** A client of `GET /api/v1/events` as the console reads it: fetch with the key, a stream reader. */
export interface EventStreamClient {
  status: number;
  headers: Headers;
  /** Every frame and comment so far, in order. */
  frames: StreamFrame[];
  /** Resolves when the server ended the stream cleanly (rejects if it broke instead). */
  ended: Promise<void>;
  /** Waits for the first frame (from index `from`) matching `match`; rejects after `timeoutMs`. */
  next(match: (frame: StreamFrame) => boolean, timeoutMs?: number, from?: number): Promise<StreamFrame>;
  /** Disconnects, as a closed browser tab does. */
  close(): void;
}

/**
 * Opens the organization's event stream. A non-200 answer comes back with its status and headers, no frames,
 * and `text` holding its body.
 */
export async function openEventStream(
  baseUrl: string,
  key: string | null,
): Promise<EventStreamClient & { text: string }> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/api/v1/events`, {
    headers: key === null ? {} : { Authorization: `Bearer ${key}` },
    signal: abort.signal,
  });
  const frames: StreamFrame[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((wake) => wake());
  let text = '';
  let ended: Promise<void> = Promise.resolve();
  if (response.status !== 200 || !response.body) {
    text = await response.text();
  } else {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    ended = (async () => {
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          notify();
          return;
        }
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          frames.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
        notify();
      }
    })();
    // A client-side abort is not a failure of the stream.
    ended = ended.catch((error: unknown) => {
      if (!abort.signal.aborted) {
        throw error;
      }
    });
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    frames,
    ended,
    next: (match, timeoutMs = 10_000, from = 0) =>
      new Promise<StreamFrame>((resolve, reject) => {
        const check = () => {
          const found = frames.slice(from).find(match);
          if (found) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(from))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => abort.abort(),
  };
}

function parseFrame(block: string): StreamFrame {
  const frame: StreamFrame = { id: null, event: null, data: null, comment: null, receivedAt: performance.now() };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
    } else if (line.startsWith('id: ')) {
      frame.id = line.slice(4);
    } else if (line.startsWith('event: ')) {
      frame.event = line.slice(7);
    } else if (line.startsWith('data: ')) {
      data.push(line.slice(6));
    }
  }
  frame.data = data.length > 0 ? JSON.parse(data.join('\n')) : null;
  return frame;
}
