import type { Request, Response } from 'express';

import { formatFrame, type LiveFrame } from './live-frame';
import { LIVE_EVENTS_MAX_BUFFERED_BYTES } from './live-events.constants';

/**
 * One open `text/event-stream` response: numbers its frames (`id:`), writes keep-alive comments, and ends
 * itself when its client reads too slowly. `onEnd` runs once, whichever side ended it.
 */
export class LiveStream {
  private nextId = 1;
  /** Frames and comments wait for the headers: the stream is counted while the relay subscribes. */
  private started = false;
  private ended = false;

  constructor(
    readonly organizationId: string,
    private readonly request: Request,
    private readonly response: Response,
    private readonly onEnd: (stream: LiveStream) => void,
  ) {
    // The response closes when the client goes away (or once it ended): the request's own 'close' has meant
    // different things across Node versions.
    response.once('close', () => this.end());
  }

  /** Sends the headers and the `ready` frame: from now on the client gets every frame of its organization. */
  start(): void {
    this.request.socket.setNoDelay(true);
    // An idle stream is not a stalled request: only the keep-alive comments travel on it.
    this.request.socket.setTimeout(0);
    this.response.status(200);
    this.response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    this.response.setHeader('Cache-Control', 'no-cache, no-transform');
    this.response.setHeader('Connection', 'keep-alive');
    // Reverse proxies (nginx) would otherwise buffer the frames.
    this.response.setHeader('X-Accel-Buffering', 'no');
    this.response.flushHeaders();
    this.started = true;
    this.write(formatFrame(this.nextId++, 'ready', {}));
  }

  /** Writes the frames, in order, in one write. */
  send(frames: readonly LiveFrame[]): void {
    if (frames.length > 0) {
      this.write(frames.map((frame) => formatFrame(this.nextId++, frame.event, frame.data)).join(''));
    }
  }

  /** A comment line, which clients ignore, so that proxies and the client see the connection alive. */
  keepAlive(): void {
    this.write(': keep-alive\n\n');
  }

  /** Ends the response (a clean end of the stream), once. */
  end(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    if (!this.response.writableEnded) {
      this.response.end();
    }
    this.onEnd(this);
  }

  private write(text: string): void {
    if (this.ended || !this.started) {
      return;
    }
    if (this.response.writableLength > LIVE_EVENTS_MAX_BUFFERED_BYTES) {
      // The client has not read the last megabyte: it will reconnect and refetch rather than be fed forever.
      this.end();
      return;
    }
    this.response.write(text);
  }
}
