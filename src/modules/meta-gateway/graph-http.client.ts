import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createInflate, createUnzip } from 'node:zlib';

import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';

import { META_MAX_REQUEST_BYTES, META_MAX_RESPONSE_BYTES } from './meta-gateway.constants';

/** One HTTP request to Graph, on the configured origin. */
export interface GraphHttpRequest {
  method: 'GET' | 'POST';
  /** Path and query string, from the origin's root (`/v25.0/?ids=…`). */
  path: string;
  headers: Record<string, string>;
  /** The JSON text of the request body, if any. */
  body?: string;
}

/** An answer as read: its status, headers (names lower-cased) and body, parsed as JSON when it is JSON. */
export interface GraphHttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed JSON; the text itself when it is not JSON (a proxy page, a truncated body); '' when empty. */
  data: unknown;
}

/** Codes of {@link GraphHttpError} besides the socket's own (ECONNREFUSED, ENOTFOUND, ECONNRESET…). */
export const GraphHttpErrorCode = {
  /** A non-2xx answer, read in full: `response` holds it. */
  BAD_RESPONSE: 'ERR_BAD_RESPONSE',
  /** The answer's body went over the cap (counted after decompression) and was abandoned unread. */
  RESPONSE_TOO_LARGE: 'ERR_RESPONSE_TOO_LARGE',
  /** The request's body went over the cap: it was not sent. */
  REQUEST_TOO_LARGE: 'ERR_BAD_REQUEST',
  /** No answer in time: the connection, the headers, a pause in the body or the whole call. */
  TIMEOUT: 'ETIMEDOUT',
} as const;

/** Every failure of {@link GraphHttpClient.send}: what came back (if anything) and a code to classify it by. */
export class GraphHttpError extends Error {
  constructor(
    message: string,
    /** A {@link GraphHttpErrorCode} or the socket's error code. */
    readonly code: string,
    /** The non-2xx answer, for BAD_RESPONSE. */
    readonly response?: GraphHttpAnswer,
  ) {
    super(message);
    this.name = 'GraphHttpError';
  }
}

// What axios asked for before: Graph compresses its answers when told it may.
const ACCEPT_ENCODING = 'gzip, deflate, br';

/**
 * The HTTP client of the Graph gateway (undici, kept-alive connections to the one Graph origin): a deadline per
 * phase (connect, headers, each pause in the body) and one for the whole call, request and answer bodies capped
 * (the answer's counted after decompression, while it streams), no redirects followed, and HTTP(S)_PROXY /
 * NO_PROXY honoured when set. Answers other than 2xx are read in full and thrown as {@link GraphHttpError}
 * with their body, like every other failure.
 */
export class GraphHttpClient {
  private readonly dispatcher: Dispatcher;

  constructor(
    /** `scheme://host[:port]` of every request. */
    private readonly origin: string,
    private readonly timeoutMs: number,
  ) {
    const options = {
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    };
    this.dispatcher = hasProxyEnvironment() ? new EnvHttpProxyAgent(options) : new Agent(options);
  }

  /** Sends one request and reads its answer; resolves with a 2xx answer, throws GraphHttpError otherwise. */
  async send(request: GraphHttpRequest): Promise<GraphHttpAnswer> {
    if (request.body !== undefined && Buffer.byteLength(request.body) > META_MAX_REQUEST_BYTES) {
      throw new GraphHttpError('Request body larger than maxBodyLength limit', GraphHttpErrorCode.REQUEST_TOO_LARGE);
    }
    // The deadline of the whole call, body included; the dispatcher's own reset on every byte received. A
    // timer of our own, cleared when the call ends: AbortSignal.timeout's stays pending (and weakly tracked)
    // for the whole timeout after every call, hundreds of them per round.
    const deadline = new AbortController();
    const signal = deadline.signal;
    const timer = setTimeout(
      () => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      this.timeoutMs,
    ).unref();
    let answer: GraphHttpAnswer;
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: request.path,
        method: request.method,
        headers: { ...request.headers, 'accept-encoding': ACCEPT_ENCODING },
        body: request.body,
        signal,
      });
      answer = { status: response.statusCode, headers: response.headers, data: await this.read(response) };
    } catch (error) {
      throw this.failure(error, signal);
    } finally {
      clearTimeout(timer);
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw new GraphHttpError(
        `Request failed with status code ${answer.status}`,
        GraphHttpErrorCode.BAD_RESPONSE,
        answer,
      );
    }
    return answer;
  }

  /** Closes the kept-alive connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async read(response: Dispatcher.ResponseData): Promise<unknown> {
    const encoding = headerText(response.headers['content-encoding']);
    const declared = Number(headerText(response.headers['content-length']) ?? Number.NaN);
    if (encoding === undefined && declared > META_MAX_RESPONSE_BYTES) {
      response.body.destroy();
      throw this.tooLarge();
    }
    // An empty answer may still name an encoding; there is nothing to inflate.
    const empty = response.statusCode === 204 || declared === 0;
    const bytes = await this.collect(response.body, empty ? undefined : encoding);
    let text = bytes.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
    }
    if (text === '') {
      return text;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  /** The body's bytes, decompressed as its Content-Encoding says, abandoned once over the cap. */
  private collect(body: Readable, encoding: string | undefined): Promise<Buffer> {
    const decoder = decoderFor(encoding);
    const source: Readable = decoder ? body.pipe(decoder) : body;
    if (decoder) {
      body.once('error', (error) => decoder.destroy(error));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      source.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > META_MAX_RESPONSE_BYTES) {
          // With the reason, so that the socket's own "aborted" does not take its place.
          const tooLarge = this.tooLarge();
          source.destroy(tooLarge);
          body.destroy(tooLarge);
          return;
        }
        chunks.push(chunk);
      });
      source.once('error', reject);
      source.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    });
  }

  private tooLarge(): GraphHttpError {
    return new GraphHttpError(
      `maxContentLength size of ${META_MAX_RESPONSE_BYTES} exceeded`,
      GraphHttpErrorCode.RESPONSE_TOO_LARGE,
    );
  }

  private failure(error: unknown, signal: AbortSignal): GraphHttpError {
    if (error instanceof GraphHttpError) {
      return error;
    }
    const code = errorCode(error);
    if (signal.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
      return new GraphHttpError(`timeout of ${this.timeoutMs}ms exceeded`, GraphHttpErrorCode.TIMEOUT);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new GraphHttpError(message, code ?? 'ERR_NETWORK');
  }
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/**
 * The code to classify a socket failure by: the cause's for undici's "other side closed" (its cause says
 * ECONNRESET or EPIPE when the socket knew), else the error's own.
 */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  if (code === 'UND_ERR_SOCKET' && typeof cause?.code === 'string') {
    return cause.code;
  }
  return typeof code === 'string' ? code : undefined;
}

function decoderFor(encoding: string | undefined): Transform | null {
  if (encoding === undefined) {
    return null;
  }
  switch (encoding.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
    case 'compress':
    case 'x-compress':
      return createUnzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hasProxyEnvironment(): boolean {
  return ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'].some((name) => Boolean(process.env[name]));
}
