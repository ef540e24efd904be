import { connect, type Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

/** One HTTP/1.1 answer read off a raw socket. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A raw HTTP/1.1 connection: the test decides how much of a body goes out, so that it can see whether the
 * service answers before the rest of the body was sent, and whether the connection still serves after.
 */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;

  /** Resolves when the service closes (or resets) the connection. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    // Writing to a connection the service closed resets it: that is an outcome here, not a failure.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => this.waiting?.());
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next complete answer, or null when none came within `timeoutMs`. */
  async answer(timeoutMs: number): Promise<RawAnswer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.take();
      if (parsed) {
        return parsed;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.destroyed) {
        return null;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private take(): RawAnswer | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) {
      return null;
    }
    const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) {
      return null;
    }
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }
}

const FOUR_MB = 4 * 1024 * 1024;

function head(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ Host: 'localhost', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

describe('Reading request bodies (e2e)', () => {
  let sut: TestApp;
  let key: string;
  const connections: RawConnection[] = [];
  const open = async () => {
    const connection = await RawConnection.open(sut.url);
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    sut = await createTestApp();
    key = (await sut.createOrganization('Bodies')).key;
  });

  afterEach(() => {
    connections.splice(0).forEach((connection) => connection.close());
  });

  afterAll(async () => {
    await sut.close();
  });

  it.each([
    ['no key', {}],
    ['an unknown key', { Authorization: 'Bearer waak_not-a-key-0123456789abcdef' }],
    ['a malformed Authorization header', { Authorization: 'Basic Zm9vOmJhcg==' }],
    ['no key, gzip', { 'Content-Encoding': 'gzip' }],
  ])('should answer 401 to a 4 MB body sent with %s before the body is sent', async (_label, extra) => {
    const connection = await open();
    connection.write(
      head('POST', '/api/v1/phone-numbers', {
        'Content-Type': 'application/json',
        'Content-Length': FOUR_MB,
        ...extra,
      }),
    );
    connection.write('{"code":"');
    const answer = await connection.answer(3000);
    expect(answer?.status).toBe(401);
    expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('should answer 401 to the admin route without the admin token before the body is sent', async () => {
    const connection = await open();
    connection.write(
      head('POST', '/api/v1/organizations', {
        'Content-Type': 'application/json',
        'Content-Length': FOUR_MB,
        Authorization: `Bearer ${key}`,
      }),
    );
    expect((await connection.answer(3000))?.status).toBe(401);
  });

  it('should answer 404 to a body for no route before the body is sent', async () => {
    const connection = await open();
    connection.write(
      head('POST', '/api/v1/nothing-here', { 'Content-Type': 'application/json', 'Content-Length': FOUR_MB }),
    );
    expect((await connection.answer(3000))?.status).toBe(404);
  });

  it('should answer 413 to an authenticated caller declaring more than the limit before the body is sent', async () => {
    const connection = await open();
    connection.write(
      head('POST', '/api/v1/phone-numbers', {
        'Content-Type': 'application/json',
        'Content-Length': FOUR_MB,
        Authorization: `Bearer ${key}`,
      }),
    );
    const answer = await connection.answer(3000);
    expect(answer?.status).toBe(413);
    expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      errors: [{ field: 'body', message: expect.stringMatching(/^must be at most \d+ bytes/) }],
    });
  });

  it('should serve the next request on the connection after refusing an unread body', async () => {
    const connection = await open();
    const body = JSON.stringify({ code: 'x'.repeat(50_000), wabaId: '1', phoneNumberId: '2' });
    connection.write(
      head('POST', '/api/v1/phone-numbers', { 'Content-Type': 'application/json', 'Content-Length': body.length }),
    );
    connection.write(body);
    expect((await connection.answer(3000))?.status).toBe(401);
    connection.write(head('GET', '/api/v1/wabas', { Authorization: `Bearer ${key}` }));
    expect((await connection.answer(3000))?.status).toBe(200);
  });

  it('should close the connection once a refused body goes on past the limit', async () => {
    const connection = await open();
    connection.write(
      head('POST', '/api/v1/phone-numbers', { 'Content-Type': 'application/json', 'Content-Length': FOUR_MB }),
    );
    expect((await connection.answer(3000))?.status).toBe(401);
    let sent = 0;
    while (!connection.destroyed && sent < FOUR_MB) {
      connection.write(Buffer.alloc(64 * 1024, 0x20));
      sent += 64 * 1024;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await connection.closed;
    // The limit (100 KiB) after the answer, give or take what was in flight.
    expect(sent).toBeLessThan(FOUR_MB / 2);
  });

  it('should close the connection of an endless chunked body a while after its 401', async () => {
    const connection = await open();
    connection.write(
      head('POST', '/api/v1/phone-numbers', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }),
    );
    expect((await connection.answer(3000))?.status).toBe(401);
    const startedAt = Date.now();
    while (!connection.destroyed && Date.now() - startedAt < 15_000) {
      connection.write('1\r\n \r\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await connection.closed;
    // UNREAD_BODY_LINGER_MS, 5 s.
    expect(Date.now() - startedAt).toBeLessThan(8_000);
  });

  it('should stop inflating a chunked gzip bomb at the limit and still serve the connection', async () => {
    const connection = await open();
    const bomb = gzipSync(`{"code":"${' '.repeat(50 * 1024 * 1024)}"}`);
    connection.write(
      head('POST', '/api/v1/phone-numbers', {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        'Transfer-Encoding': 'chunked',
        Authorization: `Bearer ${key}`,
      }),
    );
    connection.write(`${bomb.length.toString(16)}\r\n`);
    connection.write(bomb);
    connection.write('\r\n0\r\n\r\n');
    const answer = await connection.answer(3000);
    expect(answer?.status).toBe(413);
    connection.write(head('GET', '/api/v1/wabas', { Authorization: `Bearer ${key}` }));
    expect((await connection.answer(3000))?.status).toBe(200);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
    ['x-gzip', gzipSync],
  ] as const)('should read a %s body of an authenticated caller as JSON', async (encoding, compress) => {
    const response = await fetch(`${sut.url}/api/v1/organizations`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Content-Encoding': encoding,
        Authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
      },
      body: compress(Buffer.from(JSON.stringify({ name: `Compressed ${encoding}` }))),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ name: `Compressed ${encoding}` });
  });
});
