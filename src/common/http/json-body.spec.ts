import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';

import {
  BodyAbortedException,
  BodyTooLargeException,
  exceedsJsonDepth,
  hasJsonBody,
  InvalidJsonBodyException,
  isUtf8Charset,
  JsonTooDeepException,
  MAX_JSON_DEPTH,
  parseContentEncoding,
  parseContentType,
  readJsonBody,
  type RequestWithJsonBody,
  UndecodableBodyException,
  UnsupportedContentEncodingException,
} from 'src/common/http/json-body';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** Depth as the parsed value has it, to check the byte scan against. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) {
    return 1 + Math.max(0, ...value.map(depthOf));
  }
  if (value !== null && typeof value === 'object') {
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  }
  return 0;
}

function jsonFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? jsonFiles(join(directory, entry.name))
      : entry.name.endsWith('.json')
        ? [join(directory, entry.name)]
        : [],
  );
}

describe('exceedsJsonDepth', () => {
  it('should accept the limit and refuse one level more', () => {
    expect(exceedsJsonDepth(bytes(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(exceedsJsonDepth(bytes(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(exceedsJsonDepth(bytes(`{"a":${'{"b":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}}`))).toBe(true);
  });

  it('should count siblings once, not add them up', () => {
    const wide = `[${Array.from({ length: 1000 }, () => nested(MAX_JSON_DEPTH - 1)).join(',')}]`;
    expect(exceedsJsonDepth(bytes(wide))).toBe(false);
  });

  it('should not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '['.repeat(100), b: '\\"[[[[', c: `"${'{'.repeat(100)}` });
    expect(exceedsJsonDepth(bytes(text), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes(`{"a":"\\\\",${'"b":['.repeat(1)}[[1]]]}`), 3)).toBe(true);
  });

  it('should read multi-byte characters without mistaking their bytes for brackets or quotes', () => {
    const text = JSON.stringify({ name: '😀 Ω 中文 \u2222\u225b', list: [[['ok']]] });
    expect(exceedsJsonDepth(bytes(text), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes(text), 4)).toBe(false);
  });

  it('should scan a body thousands of levels deep without recursion', () => {
    expect(exceedsJsonDepth(bytes(nested(1_000_000)))).toBe(true);
  });

  it('should agree with the parsed depth of every Meta fixture, and find all of them within the limit', () => {
    const files = jsonFiles(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'meta'));
    expect(files.length).toBeGreaterThan(50);
    for (const file of files.filter((name) => !name.includes('openapi'))) {
      const raw = readFileSync(file);
      const depth = depthOf(JSON.parse(raw.toString('utf8')));
      expect({ file, exceeds: exceedsJsonDepth(raw, depth) }).toEqual({ file, exceeds: false });
      expect({ file, exceeds: exceedsJsonDepth(raw, depth - 1) }).toEqual({ file, exceeds: depth > 0 });
      expect(depth).toBeLessThanOrEqual(MAX_JSON_DEPTH);
    }
  });
});

describe('parseContentType', () => {
  it('should read the media type and the charset, quoted or not', () => {
    expect(parseContentType('Application/JSON; Charset="UTF-8"')).toEqual({
      type: 'application/json',
      charset: 'utf-8',
    });
    expect(parseContentType('application/json')).toEqual({ type: 'application/json', charset: null });
    expect(parseContentType(undefined)).toEqual({ type: '', charset: null });
  });

  it('should accept only UTF-8 (or no charset)', () => {
    expect(['utf-8', 'utf8', null].every(isUtf8Charset)).toBe(true);
    expect(['utf-16', 'utf-16le', 'utf-32', 'latin1'].some(isUtf8Charset)).toBe(false);
  });

  it('should treat application/json and application/*+json as JSON bodies', () => {
    const request = (type: string) => ({ headers: { 'content-type': type } }) as never;
    expect(hasJsonBody(request('application/json; charset=utf-8'))).toBe(true);
    expect(hasJsonBody(request('application/merge-patch+json'))).toBe(true);
    expect(hasJsonBody(request('text/plain'))).toBe(false);
    expect(hasJsonBody(request('application/x-www-form-urlencoded'))).toBe(false);
  });
});

describe('parseContentEncoding', () => {
  it('should read one known coding, in any case, and no header as identity', () => {
    expect([undefined, '', 'identity', 'gzip', ' GZip ', 'x-gzip', 'deflate', 'br'].map(parseContentEncoding)).toEqual([
      'identity',
      'identity',
      'identity',
      'gzip',
      'gzip',
      'gzip',
      'deflate',
      'br',
    ]);
  });

  it('should refuse stacked and unknown codings', () => {
    expect(
      ['gzip, gzip', 'identity, gzip', 'gzip,br', 'zstd', 'compress', 'gzip;q=1', 'x'].map(parseContentEncoding),
    ).toEqual([null, null, null, null, null, null, null]);
  });
});

/** A request-like stream that delivers `chunks`, then ends (or is cut off, as a client going away). */
function fakeRequest(headers: Record<string, string>, chunks: Buffer[], options: { abort?: boolean } = {}) {
  const stream = Object.assign(new PassThrough(), { headers, complete: false });
  setImmediate(() => {
    for (const chunk of chunks) {
      stream.write(chunk);
    }
    if (options.abort) {
      stream.destroy();
    } else {
      stream.complete = true;
      stream.end();
    }
  });
  return { request: stream as unknown as RequestWithJsonBody };
}

const json = (body: Buffer | string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(body)),
  ...extra,
});

describe('readJsonBody', () => {
  it('should parse a plain, a gzip and a br body, and skip a leading byte order mark', async () => {
    for (const [bytes, encoding] of [
      [Buffer.from('{"a":1}'), 'identity'],
      [gzipSync('{"a":1}'), 'gzip'],
      [brotliCompressSync('{"a":1}'), 'br'],
      [Buffer.from('\ufeff{"a":1}'), 'identity'],
    ] as const) {
      const { request } = fakeRequest(json(bytes, { 'content-encoding': encoding }), [bytes]);
      await readJsonBody(request, 1000);
      expect(request.body).toEqual({ a: 1 });
    }
  });

  it('should leave requests without a JSON body alone', async () => {
    const { request } = fakeRequest({ 'content-type': 'text/plain', 'content-length': '2' }, [Buffer.from('hi')]);
    await readJsonBody(request, 1000);
    expect(request.body).toBeUndefined();
  });

  it('should refuse a declared length over the limit before reading', async () => {
    const { request } = fakeRequest(json('x'.repeat(2000)), [Buffer.from('x'.repeat(2000))]);
    await expect(readJsonBody(request, 1000)).rejects.toBeInstanceOf(BodyTooLargeException);
  });

  it('should stop a gzip bomb at the limit of inflated bytes', async () => {
    const bomb = gzipSync(`["${' '.repeat(10_000_000)}"]`);
    const { request } = fakeRequest(json(bomb, { 'content-encoding': 'gzip' }), [bomb]);
    await expect(readJsonBody(request, 100_000)).rejects.toBeInstanceOf(BodyTooLargeException);
  });

  it('should refuse chunked bytes over the limit without a declared length', async () => {
    const chunks = Array.from({ length: 20 }, () => Buffer.from('x'.repeat(100)));
    const { request } = fakeRequest({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, chunks);
    await expect(readJsonBody(request, 1000)).rejects.toBeInstanceOf(BodyTooLargeException);
  });

  it.each([
    ['plain bytes said to be gzip', Buffer.from('{"a":1}'), 'gzip'],
    ['truncated gzip', gzipSync('{"a":1}').subarray(0, 12), 'gzip'],
    ['gzip with trailing garbage', Buffer.concat([gzipSync('{"a":1}'), Buffer.from('zz')]), 'gzip'],
    ['gzip said to be br', gzipSync('{"a":1}'), 'br'],
    ['gzip said to be deflate', gzipSync('{"a":1}'), 'deflate'],
  ])('should refuse %s as undecodable', async (_label, bytes, encoding) => {
    const { request } = fakeRequest(json(bytes, { 'content-encoding': encoding }), [bytes]);
    await expect(readJsonBody(request, 1000)).rejects.toBeInstanceOf(UndecodableBodyException);
  });

  it('should refuse an unknown or stacked coding', async () => {
    for (const encoding of ['zstd', 'gzip, gzip']) {
      const { request } = fakeRequest(json('{}', { 'content-encoding': encoding }), [Buffer.from('{}')]);
      await expect(readJsonBody(request, 1000)).rejects.toBeInstanceOf(UnsupportedContentEncodingException);
    }
  });

  it.each([
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), InvalidJsonBodyException],
    ['a top-level string', Buffer.from('"text"'), InvalidJsonBodyException],
    ['a top-level number', Buffer.from('42'), InvalidJsonBodyException],
    ['truncated JSON', Buffer.from('{"a":'), InvalidJsonBodyException],
    ['nesting past the limit', Buffer.from('['.repeat(MAX_JSON_DEPTH + 1)), JsonTooDeepException],
  ])('should refuse %s', async (_label, bytes, exception) => {
    const { request } = fakeRequest(json(bytes), [bytes]);
    await expect(readJsonBody(request, 1000)).rejects.toBeInstanceOf(exception);
  });

  it('should refuse a body cut off by the client', async () => {
    const { request } = fakeRequest(json('x'.repeat(500)), [Buffer.from('{"a":')], { abort: true });
    await expect(readJsonBody(request, 1000)).rejects.toBeInstanceOf(BodyAbortedException);
  });
});
