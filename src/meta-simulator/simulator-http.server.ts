import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { writeJson } from './http-io.util';

/** Answers one request; `url` is the request target resolved against a placeholder origin. */
export type SimulatorRequestListener = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/**
 * The simulator's `node:http` server: listening, stopping, and the requests it holds open on purpose
 * (hanging faults) or delays (latency), so that {@link stop} can drop them all.
 */
export class SimulatorHttpServer {
  private readonly latencyTimers = new Set<NodeJS.Timeout>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | null = null;
  private origin = '';

  constructor(private readonly listener: SimulatorRequestListener) {}

  /** Origin URL of the running server (empty before start). */
  get url(): string {
    return this.origin;
  }

  /** Starts listening; resolves to the origin URL (no version), e.g. `http://127.0.0.1:4321`. */
  start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) {
      return Promise.resolve(this.origin);
    }
    const server = createServer((req, res) => {
      this.dispatch(req, res).catch(() => {
        writeJson(res, 500, { error: { message: 'Simulator failure', type: 'OAuthException', code: 1 } });
      });
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address() as AddressInfo;
        const printableHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.origin = `http://${printableHost}:${address.port}`;
        resolve(this.origin);
      });
    });
  }

  /** Stops listening and drops every open socket (keep-alive and hanging requests included). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const timer of this.latencyTimers) {
      clearTimeout(timer);
    }
    this.latencyTimers.clear();
    for (const res of this.hanging) {
      res.destroy();
    }
    this.hanging.clear();
    if (!server) {
      return;
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Keeps a request open without answering until the client gives up or stop() drops it. */
  hold(res: ServerResponse): void {
    this.hanging.add(res);
    res.on('close', () => this.hanging.delete(res));
  }

  /** Waits `ms` (a latency setting); stop() cancels the wait, leaving the request unanswered. */
  async delay(ms: number): Promise<void> {
    if (ms <= 0) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.latencyTimers.delete(timer);
        resolve();
      }, ms);
      this.latencyTimers.add(timer);
    });
  }

  // Async so that a request target `URL` cannot parse fails into the 500 above, not out of the server.
  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.local');
    await this.listener(req, res, url);
  }
}
