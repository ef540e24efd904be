import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import { GraphHttpClient, GraphHttpError, GraphHttpErrorCode } from './graph-http.client';
import { META_MAX_REQUEST_BYTES } from './meta-gateway.constants';

const TIMEOUT_MS = 400;
const BODY = { id: '102290129340398', name: 'Lucky Shrub' };

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function failure(promise: Promise<unknown>): Promise<GraphHttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GraphHttpError) {
      return error;
    }
    throw error;
  }
  throw new Error('Expected the request to fail');
}

describe(GraphHttpClient.name, () => {
  let server: Server;
  let origin: string;
  let sut: GraphHttpClient;
  const received: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];

  function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
    received.push({ url: request.url ?? '', headers: request.headers, body });
    const json = JSON.stringify(BODY);
    switch (new URL(request.url ?? '/', origin).pathname) {
      case '/gzip':
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        return void response.end(gzipSync(json));
      case '/deflate':
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' });
        return void response.end(deflateSync(json));
      case '/br':
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'br' });
        return void response.end(brotliCompressSync(json));
      case '/error':
        response.writeHead(400, { 'Content-Type': 'application/json', 'X-FB-Trace-Id': 'TRACE' });
        return void response.end('{"error":{"message":"Invalid parameter","code":100,"fbtrace_id":"TRACE"}}');
      case '/page':
        response.writeHead(502, { 'Content-Type': 'text/html' });
        return void response.end('<html>Bad gateway</html>');
      case '/redirect':
        response.writeHead(302, { Location: '/gzip' });
        return void response.end();
      case '/stall':
        // Headers, then nothing: the pause in the body is what must time out.
        response.writeHead(200, { 'Content-Type': 'application/json' });
        return void response.write('{"id":');
      case '/hang':
        return;
      default:
        response.writeHead(200, { 'Content-Type': 'application/json' });
        return void response.end(json);
    }
  }

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => answer(request, response, body));
    });
    origin = await listen(server);
  });

  afterAll(async () => {
    await close(server);
  });

  beforeEach(() => {
    received.length = 0;
    sut = new GraphHttpClient(origin, TIMEOUT_MS);
  });

  afterEach(async () => {
    await sut.close();
  });

  it('should send the path, headers and body as given, asking for a compressed answer', async () => {
    const answered = await sut.send({
      method: 'POST',
      path: '/v25.0/1/register?fields=id,name',
      headers: { authorization: 'Bearer EAAtoken', 'content-type': 'application/json' },
      body: '{"pin":"123456"}',
    });

    expect(answered).toMatchObject({ status: 200, data: BODY });
    expect(received).toEqual([
      {
        url: '/v25.0/1/register?fields=id,name',
        headers: expect.objectContaining({
          authorization: 'Bearer EAAtoken',
          'content-type': 'application/json',
          'accept-encoding': 'gzip, deflate, br',
        }) as unknown,
        body: '{"pin":"123456"}',
      },
    ]);
  });

  it.each(['/gzip', '/deflate', '/br'])('should read an answer compressed as %s', async (path) => {
    await expect(sut.send({ method: 'GET', path, headers: {} })).resolves.toMatchObject({ status: 200, data: BODY });
  });

  it('should throw a non-2xx answer with its parsed body and its headers', async () => {
    const error = await failure(sut.send({ method: 'GET', path: '/error', headers: {} }));

    expect(error.code).toBe(GraphHttpErrorCode.BAD_RESPONSE);
    expect(error.response).toMatchObject({
      status: 400,
      headers: expect.objectContaining({ 'x-fb-trace-id': 'TRACE' }) as unknown,
      data: { error: { message: 'Invalid parameter', code: 100, fbtrace_id: 'TRACE' } },
    });
  });

  it('should keep a body that is not JSON as its text', async () => {
    const error = await failure(sut.send({ method: 'GET', path: '/page', headers: {} }));

    expect(error.response).toMatchObject({ status: 502, data: '<html>Bad gateway</html>' });
  });

  it('should not follow a redirect', async () => {
    const error = await failure(sut.send({ method: 'GET', path: '/redirect', headers: {} }));

    expect(error.response?.status).toBe(302);
    expect(received).toHaveLength(1);
  });

  it.each(['/hang', '/stall'])('should give up on %s after the deadline as a timeout', async (path) => {
    const error = await failure(sut.send({ method: 'GET', path, headers: {} }));

    expect(error.code).toBe(GraphHttpErrorCode.TIMEOUT);
    expect(error.response).toBeUndefined();
  });

  it('should say a connection refused with the socket code', async () => {
    const closed = createServer();
    const closedOrigin = await listen(closed);
    await close(closed);
    const refused = new GraphHttpClient(closedOrigin, TIMEOUT_MS);

    const error = await failure(refused.send({ method: 'GET', path: '/', headers: {} }));

    expect(error.code).toBe('ECONNREFUSED');
    await refused.close();
  });

  it('should not send a body over the cap', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(META_MAX_REQUEST_BYTES) });

    const error = await failure(sut.send({ method: 'POST', path: '/', headers: {}, body }));

    expect(error.code).toBe(GraphHttpErrorCode.REQUEST_TOO_LARGE);
    expect(received).toHaveLength(0);
  });

  describe('behind a proxy named by HTTP_PROXY', () => {
    let proxy: Server;
    const tunnels: string[] = [];
    const saved = process.env.HTTP_PROXY;

    beforeAll(async () => {
      proxy = createServer();
      proxy.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
        tunnels.push(request.url ?? '');
        const [host, port] = (request.url ?? '').split(':');
        const upstream = connect(Number(port), host, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
      process.env.HTTP_PROXY = await listen(proxy);
    });

    afterAll(async () => {
      if (saved === undefined) {
        delete process.env.HTTP_PROXY;
      } else {
        process.env.HTTP_PROXY = saved;
      }
      await close(proxy);
    });

    it('should reach Graph through the proxy', async () => {
      const proxied = new GraphHttpClient(origin, TIMEOUT_MS);

      await expect(proxied.send({ method: 'GET', path: '/', headers: {} })).resolves.toMatchObject({ data: BODY });

      expect(tunnels).toEqual([new URL(origin).host]);
      await proxied.close();
    });
  });
});
