import { boundLogLine, boundLogText, describeError, MAX_LOGGED_ERROR_TEXT } from 'src/common/logging/describe-error';

describe('describeError', () => {
  it('should keep the class, the code, a bounded message and the frames, and nothing else', () => {
    const error = Object.assign(new Error(`INSERT INTO t VALUES ('${'x'.repeat(100_000)}') - boom`), {
      code: '22P05',
      sql: 'INSERT …',
      detail: 'Failing row contains (secret)',
    });
    const summary = describeError(error);
    expect(Object.keys(summary).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(summary.type).toBe('Error');
    expect(summary.code).toBe('22P05');
    expect(summary.message.length).toBeLessThanOrEqual(MAX_LOGGED_ERROR_TEXT);
    expect(summary.message).toMatch(/more characters\)$/);
    expect(summary.stack).toMatch(/^at /);
    expect(summary.stack).not.toContain('xxxx');
    expect(JSON.stringify(summary)).not.toContain('secret');
  });

  it('should read the plain object a serializer made of an error, and anything else thrown', () => {
    expect(describeError({ type: 'TypeError', message: 'bad', stack: 'TypeError: bad\n    at f (a.ts:1:1)' })).toEqual({
      type: 'TypeError',
      message: 'bad',
      stack: 'at f (a.ts:1:1)',
    });
    expect(describeError('x'.repeat(1000)).message.length).toBeLessThanOrEqual(MAX_LOGGED_ERROR_TEXT);
    expect(describeError(undefined)).toEqual({ type: 'undefined', message: 'undefined' });
  });
});

describe('boundLogText', () => {
  it('should leave short text alone and cut long text saying by how much', () => {
    expect(boundLogText('short')).toBe('short');
    expect(boundLogText('x'.repeat(100), 40)).toBe(`${'x'.repeat(17)}… (83 more characters)`);
    expect(boundLogText(boundLogText('x'.repeat(5000), 60), 60)).toBe(boundLogText('x'.repeat(5000), 60));
    expect(boundLogLine('a\nb\r\n\u0000c')).toBe('a b c');
  });
});
