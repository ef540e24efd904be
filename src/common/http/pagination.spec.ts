import { decodeCursor, encodeCursor, InvalidCursorException, MAX_CURSOR_LENGTH } from 'src/common/http/pagination';

const UUID = '0b6a1f7e-3c1d-4e5f-8a9b-0c1d2e3f4a5b';
const raw = (bytes: string | Buffer) => Buffer.from(bytes).toString('base64url');

describe('decodeCursor', () => {
  it('should decode what encodeCursor wrote, the timestamp as the same Date', () => {
    const at = new Date('2024-05-06T07:08:09.123Z');
    const [occurredAt, id] = decodeCursor(encodeCursor([at, UUID]), ['timestamp', 'uuid']);
    expect(occurredAt).toEqual(at);
    expect(id).toBe(UUID);
    expect(decodeCursor(encodeCursor(['102290129340398']), ['metaId'])).toEqual(['102290129340398']);
  });

  it.each([
    ['a NUL in a Meta ID', raw('["\\u0000"]'), ['metaId']],
    ['a NUL after a valid timestamp', raw(`["2024-01-01T00:00:00.000Z","\\u0000${UUID}"]`), ['timestamp', 'uuid']],
    ['invalid UTF-8', raw(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d])), ['metaId']],
    ['an overlong UTF-8 NUL', raw(Buffer.from([0x5b, 0x22, 0xc0, 0x80, 0x22, 0x5d])), ['metaId']],
    ['a lone high surrogate', raw('["\\ud800"]'), ['metaId']],
    [
      'a lone low surrogate in a UUID',
      raw(`["2024-01-01T00:00:00.000Z","\\udc00${UUID.slice(1)}"]`),
      ['timestamp', 'uuid'],
    ],
    ['the last date JavaScript has', raw(`["+275760-09-13T00:00:00.000Z","${UUID}"]`), ['timestamp', 'uuid']],
    ['a six-digit year', raw(`["+999999-01-01","${UUID}"]`), ['timestamp', 'uuid']],
    ['a year before 1 BC', raw(`["-100000-01-01T00:00:00.000Z","${UUID}"]`), ['timestamp', 'uuid']],
    ['year 0000', raw(`["0000-01-01T00:00:00.000Z","${UUID}"]`), ['timestamp', 'uuid']],
    ['a day that does not exist', raw(`["2024-02-30T00:00:00.000Z","${UUID}"]`), ['timestamp', 'uuid']],
    ['month 13', raw(`["2024-13-01T00:00:00.000Z","${UUID}"]`), ['timestamp', 'uuid']],
    ['a date without time', raw(`["2024-01-01","${UUID}"]`), ['timestamp', 'uuid']],
    ['a number for a timestamp', raw(`[1714979289123,"${UUID}"]`), ['timestamp', 'uuid']],
    ['a number for a Meta ID', raw('[102290129340398]'), ['metaId']],
    ['a number that overflows to Infinity', raw('[1e400]'), ['metaId']],
    ['a number past 2^53', raw('[123456789012345678901234567890]'), ['metaId']],
    ['a Meta ID with letters', raw('["12a"]'), ['metaId']],
    ['a Meta ID of 33 digits', raw(`["${'1'.repeat(33)}"]`), ['metaId']],
    ['an upper-case UUID', raw(`["2024-01-01T00:00:00.000Z","${UUID.toUpperCase()}"]`), ['timestamp', 'uuid']],
    ['null', raw('[null]'), ['metaId']],
    ['a boolean', raw('[true]'), ['metaId']],
    ['an object in the array', raw('[{"id":"1"}]'), ['metaId']],
    ['a nested array', raw('[["1"]]'), ['metaId']],
    ['an object instead of an array', raw('{"0":"1"}'), ['metaId']],
    ['a string instead of an array', raw('"1"'), ['metaId']],
    ['an extra field', raw('["1","2"]'), ['metaId']],
    ['a missing field', raw('["2024-01-01T00:00:00.000Z"]'), ['timestamp', 'uuid']],
    ['an empty array', raw('[]'), ['metaId']],
    ['JSON with trailing garbage', raw('["1"] x'), ['metaId']],
    ['not JSON', raw('not json'), ['metaId']],
    ['base64 with padding', `${raw('["1"]')}=`, ['metaId']],
    // base64 of ["??"]: the same bytes as a base64url cursor would be, but spelt with '/'.
    ['standard base64 characters', 'WyI/PyJd', ['metaId']],
    // WyIxIl0 is ["1"]; a set padding bit in the last character decodes to the same bytes.
    ['non-canonical trailing bits', 'WyIxIl1', ['metaId']],
    ['a 10 KB cursor', raw(JSON.stringify(['1'.repeat(10_000)])), ['metaId']],
    ['one character over the length limit', 'A'.repeat(MAX_CURSOR_LENGTH + 1), ['metaId']],
    ['an empty string', '', ['metaId']],
  ] as const)('should refuse %s as 400 naming cursor', (_label, cursor, fields) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor, fields);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidCursorException);
    expect((thrown as InvalidCursorException).extras.errors).toEqual([
      { field: 'cursor', message: 'cursor must be a cursor returned by this API' },
    ]);
  });
});
