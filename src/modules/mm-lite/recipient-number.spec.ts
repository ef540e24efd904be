import { RECIPIENT_MAX_INPUT_LENGTH } from './mm-lite.constants';
import { countryCallingCode, parseRecipientNumber, RecipientNumberError } from './recipient-number';

describe(parseRecipientNumber.name, () => {
  it.each<[string, string]>([
    // What the API accepted before human spellings: E.164 with or without +.
    ['+447700900123', '+447700900123'],
    ['447700900123', '+447700900123'],
    ['16505551234', '+16505551234'],
    ['+6831234', '+6831234'],
    ['+123456789012345', '+123456789012345'],
    // Spaces, hyphens, dots, parentheses.
    ['+44 7700 900123', '+447700900123'],
    ['+44 7700-900-123', '+447700900123'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['+1.415.555.0100', '+14155550100'],
    ['+1-415-555-0100', '+14155550100'],
    ['1 (415) 555-0100', '+14155550100'],
    ['+55 (11) 98765-4321', '+5511987654321'],
    ['+ 44 7700 900123', '+447700900123'],
    ['  +44 7700 900123  ', '+447700900123'],
    ['(+44) 7700 900123', '+447700900123'],
    ['+49 (30) 1234 5678', '+493012345678'],
    // 00, the international prefix of most of the world.
    ['0044 7700 900123', '+447700900123'],
    ['00 44 7700 900 123', '+447700900123'],
    ['001 212 555 0100', '+12125550100'],
    ['(00 44) 7700 900123', '+447700900123'],
    // (0): the trunk prefix dialled only from inside the country.
    ['+44 (0)7700 900123', '+447700900123'],
    ['+44 (0) 20 7946 0000', '+442079460000'],
    ['0044 (0)20 7946 0000', '+442079460000'],
    ['+353 (0)1 234 5678', '+35312345678'],
    ['44 (0)7700 900123', '+447700900123'],
    ['+44 7700 (0) 900123', '+4477000900123'],
    // Unicode separators and invisible marks that pasting from documents and phones brings along.
    ['+44\u00a07700\u00a0900123', '+447700900123'],
    ['+44\u202f7700\u2009900123', '+447700900123'],
    ['+1\u2011415\u2013555\u20100100', '+14155550100'],
    ['+1\u2212415\u2212555\u22120100', '+14155550100'],
    ['\u202d+44 7700 900123\u202c', '+447700900123'],
    ['\u2068+44 7700 900123\u2069', '+447700900123'],
    ['\u200e+44 7700 900123', '+447700900123'],
    ['\ufeff+447700900123', '+447700900123'],
  ])('should read %j as %s', (input, e164) => {
    expect(parseRecipientNumber(input)).toEqual({ ok: true, e164 });
  });

  it.each<[unknown, RecipientNumberError]>([
    [447700900123, RecipientNumberError.NOT_A_STRING],
    [null, RecipientNumberError.NOT_A_STRING],
    [undefined, RecipientNumberError.NOT_A_STRING],
    [['+447700900123'], RecipientNumberError.NOT_A_STRING],
    [{ number: '+447700900123' }, RecipientNumberError.NOT_A_STRING],
    ['', RecipientNumberError.NO_DIGITS],
    ['   ', RecipientNumberError.NO_DIGITS],
    ['\u00a0\u2009', RecipientNumberError.NO_DIGITS],
    ['+', RecipientNumberError.NO_DIGITS],
    ['( ) - .', RecipientNumberError.NO_DIGITS],
    ['1'.repeat(RECIPIENT_MAX_INPUT_LENGTH + 1), RecipientNumberError.INPUT_TOO_LONG],
    ['+44 7700 900123' + ' '.repeat(100), RecipientNumberError.INPUT_TOO_LONG],
    ['9'.repeat(1_000_000), RecipientNumberError.INPUT_TOO_LONG],
    ['call me', RecipientNumberError.INVALID_CHARACTER],
    ['+44 7700 900abc', RecipientNumberError.INVALID_CHARACTER],
    ['1-800-FLOWERS', RecipientNumberError.INVALID_CHARACTER],
    ['+1 415 555 0100 ext. 12', RecipientNumberError.INVALID_CHARACTER],
    ['+1 415 555 0100 x12', RecipientNumberError.INVALID_CHARACTER],
    ['tel:+14155550100', RecipientNumberError.INVALID_CHARACTER],
    ['+44\u00007700900123', RecipientNumberError.INVALID_CHARACTER],
    ['+447700900123\u0000', RecipientNumberError.INVALID_CHARACTER],
    ['+44\t7700900123', RecipientNumberError.INVALID_CHARACTER],
    ['+447700900123\n', RecipientNumberError.INVALID_CHARACTER],
    ['+44/7700/900123', RecipientNumberError.INVALID_CHARACTER],
    ['+44_7700_900123', RecipientNumberError.INVALID_CHARACTER],
    ['+44,7700,900123', RecipientNumberError.INVALID_CHARACTER],
    ['+44 7700 900123#', RecipientNumberError.INVALID_CHARACTER],
    ['*31#+447700900123', RecipientNumberError.INVALID_CHARACTER],
    ['+44 [7700] 900123', RecipientNumberError.INVALID_CHARACTER],
    ['+447700900123; +447700900124', RecipientNumberError.INVALID_CHARACTER],
    ['+4\u03017700900123', RecipientNumberError.INVALID_CHARACTER],
    ['+44\u{1F4DE}7700900123', RecipientNumberError.INVALID_CHARACTER],
    ['\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668', RecipientNumberError.NON_ASCII_DIGIT],
    ['+\u06f4\u06f4 7700 900123', RecipientNumberError.NON_ASCII_DIGIT],
    ['+\uff14\uff14\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13', RecipientNumberError.NON_ASCII_DIGIT],
    ['+\u0967\u096a\u0967\u096b\u096b\u096b\u096b\u0966\u0967\u0966\u0966', RecipientNumberError.NON_ASCII_DIGIT],
    ['+44 7700 90012\u{1D7DB}', RecipientNumberError.NON_ASCII_DIGIT],
    ['++447700900123', RecipientNumberError.MISPLACED_PLUS],
    ['+ +447700900123', RecipientNumberError.MISPLACED_PLUS],
    ['44+7700900123', RecipientNumberError.MISPLACED_PLUS],
    ['447700900123+', RecipientNumberError.MISPLACED_PLUS],
    ['00+447700900123', RecipientNumberError.MISPLACED_PLUS],
    ['+1 (415 555-0100', RecipientNumberError.UNBALANCED_PARENTHESES],
    ['+1 415) 555-0100', RecipientNumberError.UNBALANCED_PARENTHESES],
    ['+1 ((415)) 555-0100', RecipientNumberError.UNBALANCED_PARENTHESES],
    [')+1 415 555 0100(', RecipientNumberError.UNBALANCED_PARENTHESES],
    ['07700 900123', RecipientNumberError.NO_COUNTRY_CODE],
    ['07700900123', RecipientNumberError.NO_COUNTRY_CODE],
    ['0113 496 0000', RecipientNumberError.NO_COUNTRY_CODE],
    ['011 44 7700 900123', RecipientNumberError.NO_COUNTRY_CODE],
    ['(0)7700 900123', RecipientNumberError.NO_COUNTRY_CODE],
    ['(415) 555-0100', RecipientNumberError.NO_COUNTRY_CODE],
    ['(212) 555 0100', RecipientNumberError.NO_COUNTRY_CODE],
    ['+0 447700900123', RecipientNumberError.COUNTRY_CODE_STARTS_WITH_ZERO],
    ['+07700 900123', RecipientNumberError.COUNTRY_CODE_STARTS_WITH_ZERO],
    ['+0044 7700 900123', RecipientNumberError.COUNTRY_CODE_STARTS_WITH_ZERO],
    ['000 44 7700 900123', RecipientNumberError.COUNTRY_CODE_STARTS_WITH_ZERO],
    ['+(0)44 7700 900123', RecipientNumberError.COUNTRY_CODE_STARTS_WITH_ZERO],
    ['00', RecipientNumberError.TOO_FEW_DIGITS],
    ['+1', RecipientNumberError.TOO_FEW_DIGITS],
    ['+44 7700', RecipientNumberError.TOO_FEW_DIGITS],
    ['123456', RecipientNumberError.TOO_FEW_DIGITS],
    ['00 44 1234', RecipientNumberError.TOO_FEW_DIGITS],
    ['+1234567890123456', RecipientNumberError.TOO_MANY_DIGITS],
    ['0044 7700 900123 4567', RecipientNumberError.TOO_MANY_DIGITS],
    ['1234567890123456789012345678901234567890', RecipientNumberError.TOO_MANY_DIGITS],
  ])('should refuse %j as %s', (input, error) => {
    const result = parseRecipientNumber(input);

    expect(result).toEqual({ ok: false, error, message: expect.any(String) });
  });

  it('should be idempotent, so a normalised number passes through unchanged', () => {
    for (const input of ['+1 (415) 555-0100', '0044 (0)20 7946 0000', '16505551234']) {
      const first = parseRecipientNumber(input);
      expect(first.ok && parseRecipientNumber(first.e164)).toEqual(first);
    }
  });

  it.each<[string, string]>([
    ['07700 900123', 'must include the country code'],
    ['(415) 555-0100', '+1 415 555 0100 rather than (415) 555-0100'],
    ['+44 7700 900abc', '(found "a", U+0061)'],
    ['+44\u00007700900123', '(found U+0000)'],
    ['+44\t7700900123', '(found U+0009)'],
    ['+\u0664\u0664', '(found "\u0664", U+0664)'],
    ['+44 7700', 'too few digits for a phone number: 6, at least 7'],
    ['+1234567890123456', 'too many digits for a phone number: 16, at most 15'],
    ['+0044 7700 900123', 'country codes never start with 0'],
  ])('should explain why %j is refused', (input, explanation) => {
    const result = parseRecipientNumber(input);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(explanation);
  });

  it('should name an invisible character by code point only, never echo it', () => {
    const result = parseRecipientNumber('+44\u00007700900123');

    expect(!result.ok && result.message).not.toContain('\u0000');
  });
});

describe(countryCallingCode.name, () => {
  it.each([
    ['+16505551234', '1'],
    ['+79161234567', '7'],
    ['+447700900123', '44'],
    ['+5511987654321', '55'],
    ['+35312345678', '353'],
    ['+9715012345678', '971'],
    ['+2348012345678', '234'],
  ])('should read the calling code of %s as %s', (e164, code) => {
    expect(countryCallingCode(e164)).toBe(code);
  });
});
