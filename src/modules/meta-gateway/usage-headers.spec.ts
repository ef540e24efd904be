import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import { parseAppUsage, parseBusinessUseCaseUsage, readHeader } from './usage-headers';
import { metaFixturesDir } from 'src/meta-simulator/meta-simulator.testing';

const META_FIXTURES = metaFixturesDir();

/** The fixtures hold the parsed header value; Meta sends it as a JSON string. */
function headerFixtures(prefix: string): Array<[string, unknown]> {
  return ['graph', 'derived'].flatMap((folder) =>
    readdirSync(path.join(META_FIXTURES, folder))
      .filter((file) => file.startsWith(prefix) && file.endsWith('.json'))
      .map((file): [string, unknown] => [
        `${folder}/${file}`,
        JSON.parse(readFileSync(path.join(META_FIXTURES, folder, file), 'utf8')),
      ]),
  );
}

describe('usage headers', () => {
  describe(parseBusinessUseCaseUsage.name, () => {
    const fixtures = headerFixtures('header.x-business-use-case-usage');

    it('should find the shared X-Business-Use-Case-Usage fixtures', () => {
      expect(fixtures.length).toBeGreaterThanOrEqual(2);
    });

    it.each(fixtures)('should parse every entry of %s sent as a JSON string', (_file, value) => {
      const expected = Object.entries(value as Record<string, Array<Record<string, number | string>>>).flatMap(
        ([businessObjectId, entries]) =>
          entries.map((entry) => ({
            businessObjectId,
            type: entry.type,
            callCount: entry.call_count,
            totalCputime: entry.total_cputime,
            totalTime: entry.total_time,
            estimatedTimeToRegainAccessMinutes: entry.estimated_time_to_regain_access,
          })),
      );

      expect(parseBusinessUseCaseUsage(JSON.stringify(value))).toEqual(expected);
      expect(parseBusinessUseCaseUsage(value)).toEqual(expected);
    });

    it('should read the throttled fixture as 100 % with 19 minutes to wait', () => {
      const [, value] = fixtures.find(([file]) => file.includes('throttled')) ?? [];

      expect(parseBusinessUseCaseUsage(JSON.stringify(value))).toEqual([
        expect.objectContaining({
          businessObjectId: '102290129340398',
          callCount: 100,
          estimatedTimeToRegainAccessMinutes: 19,
        }),
      ]);
    });

    it.each([
      ['undefined', undefined],
      ['an empty string', ''],
      ['garbage', '{not json'],
      ['a number', '42'],
      ['an array', '[1,2]'],
      ['null', 'null'],
    ])('should return nothing for %s', (_label, value) => {
      expect(parseBusinessUseCaseUsage(value)).toEqual([]);
    });

    it('should skip malformed entries, default bad numbers to 0 and accept a lone object or string numbers', () => {
      const value = JSON.stringify({
        '1': [
          null,
          'x',
          { type: 'whatsapp', call_count: 'abc', total_time: '95', estimated_time_to_regain_access: -3 },
        ],
        '2': { type: 'whatsapp_business_management', call_count: 12 },
      });

      expect(parseBusinessUseCaseUsage(value)).toEqual([
        {
          businessObjectId: '1',
          type: 'whatsapp',
          callCount: 0,
          totalCputime: 0,
          totalTime: 95,
          estimatedTimeToRegainAccessMinutes: 0,
        },
        {
          businessObjectId: '2',
          type: 'whatsapp_business_management',
          callCount: 12,
          totalCputime: 0,
          totalTime: 0,
          estimatedTimeToRegainAccessMinutes: 0,
        },
      ]);
    });

    it('should read the first value when Node folded the header into an array', () => {
      expect(parseBusinessUseCaseUsage([JSON.stringify({ '7': [{ call_count: 5 }] })])).toHaveLength(1);
    });
  });

  describe(parseAppUsage.name, () => {
    const fixtures = headerFixtures('header.x-app-usage');

    it('should find the shared X-App-Usage fixture', () => {
      expect(fixtures.length).toBeGreaterThanOrEqual(1);
    });

    it.each(fixtures)('should parse %s sent as a JSON string', (_file, value) => {
      const raw = value as { call_count: number; total_time: number; total_cputime: number };

      expect(parseAppUsage(JSON.stringify(value))).toEqual({
        callCount: raw.call_count,
        totalCputime: raw.total_cputime,
        totalTime: raw.total_time,
      });
    });

    it.each([undefined, '', '{oops', '"text"', '{}', '[]'])('should return null for %j', (value) => {
      expect(parseAppUsage(value)).toBeNull();
    });
  });

  describe(readHeader.name, () => {
    it('should read a header by any case from lower-cased names, names of another case or a Headers-like get', () => {
      expect(readHeader({ 'x-app-usage': '{}' }, 'X-App-Usage')).toBe('{}');
      expect(readHeader({ 'Retry-After': '2' }, 'retry-after')).toBe('2');
      expect(readHeader(new Headers({ 'X-FB-Trace-Id': 'TRACE' }), 'x-fb-trace-id')).toBe('TRACE');
      expect(readHeader({ 'x-app-usage': '{}' }, 'retry-after')).toBeUndefined();
      expect(readHeader(undefined, 'retry-after')).toBeUndefined();
    });
  });
});
