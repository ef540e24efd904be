import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  exceedsJsonDepth,
  hasJsonBody,
  isUtf8Charset,
  MAX_JSON_DEPTH,
  parseContentType,
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
