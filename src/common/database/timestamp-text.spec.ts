import { timestampJson } from './timestamp-text';

/** What the answers wrote before: the driver's text read into a Date, then JSON's form of that Date. */
function throughDate(value: string): string | null {
  return JSON.parse(JSON.stringify({ value: new Date(value) })).value as string | null;
}

describe('timestampJson', () => {
  it.each([
    '2026-12-03 19:41:18.123456+00',
    '2026-12-03 19:41:18.999999+00',
    '2026-12-03 19:41:18.0999+00',
    '2026-12-03 19:41:18.5+00',
    '2026-12-03 19:41:18.05+00',
    '2026-12-03 19:41:18.000001+00',
    '2026-12-03 19:41:18+00',
    '1970-01-01 00:00:00+00',
    '1999-12-31 23:59:59.999999+00',
    '2024-02-29 12:00:00.1+00',
    '0100-01-01 00:00:00+00',
    '0050-06-01 00:00:00+00',
    '9999-12-31 23:59:59.999+00',
    '2026-12-03 19:41:18.123456+05:30',
    '2026-12-03 21:41:18.12-02',
    '0044-03-15 12:00:00+00 BC',
    'infinity',
    '-infinity',
  ])('should write %s as JSON wrote its Date', (text) => {
    expect(timestampJson(text)).toBe(throughDate(text));
  });

  it('should write every millisecond of a day of seconds as its Date did', () => {
    const mismatches: string[] = [];
    for (let second = 0; second < 86_400; second += 7) {
      const iso = new Date(Date.UTC(2026, 11, 3) + second * 1000).toISOString();
      const micros = String((second * 7919) % 1_000_000)
        .padStart(6, '0')
        .replace(/0+$/, '');
      const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${micros ? `.${micros}` : ''}+00`;
      if (timestampJson(text) !== throughDate(text)) {
        mismatches.push(text);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('should pass a Date and null through as JSON would write them', () => {
    expect(timestampJson(new Date('2026-12-03T19:41:18.123Z'))).toBe('2026-12-03T19:41:18.123Z');
    expect(timestampJson(null)).toBeNull();
  });
});
