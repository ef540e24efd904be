import { parseJsonKeepingBigIntegers } from './webhook-json';

describe(parseJsonKeepingBigIntegers.name, () => {
  it('should keep the digits of an integer beyond 2^53 as a string', () => {
    const parsed = parseJsonKeepingBigIntegers('{"message_template_id": 12345678901234567890, "n": 1}') as Record<
      string,
      unknown
    >;

    expect(parsed.message_template_id).toBe('12345678901234567890');
    expect(parsed.n).toBe(1);
  });

  it('should leave safe integers, decimals, exponents and strings as JSON.parse reads them', () => {
    const text =
      '{"a":1689556908129832,"b":-1.5e3,"c":"12345678901234567890","d":[9007199254740991,0.1234567890123456]}';

    expect(parseJsonKeepingBigIntegers(text)).toEqual(JSON.parse(text));
  });

  it('should not change digits inside strings with escaped quotes', () => {
    const text = '{"a":"x\\"12345678901234567890","b":12345678901234567891}';

    expect(parseJsonKeepingBigIntegers(text)).toEqual({ a: 'x"12345678901234567890', b: '12345678901234567891' });
  });

  it('should throw what JSON.parse throws for text that is not JSON', () => {
    expect(() => parseJsonKeepingBigIntegers('{"a": 12345678901234567890')).toThrow(SyntaxError);
  });
});
