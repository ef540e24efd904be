import { BusinessScopedUserIdError, parseBusinessScopedUserId } from './business-scoped-user-id';
import { BSUID_MAX_ID_LENGTH } from './mm-lite.constants';

describe(parseBusinessScopedUserId.name, () => {
  it.each<[string, string, boolean]>([
    // Meta's documentation examples (graph-api-2026 §A.6).
    ['US.13491208655302741918', 'US', false],
    ['US.ENT.11815799212886844830', 'US', true],
    // Alphanumerics, not only digits; the shortest and longest IDs.
    ['GB.aB3xYz09', 'GB', false],
    ['BR.1', 'BR', false],
    [`IN.${'9'.repeat(BSUID_MAX_ID_LENGTH)}`, 'IN', false],
    [`DE.ENT.${'a'.repeat(BSUID_MAX_ID_LENGTH)}`, 'DE', true],
  ])('should accept %s exactly as given (region %s, parent %s)', (input, region, parent) => {
    expect(parseBusinessScopedUserId(input)).toEqual({ ok: true, bsuid: input, region, parent });
  });

  it.each<[string, unknown, BusinessScopedUserIdError, string]>([
    ['a JSON number', 1349120865530274, BusinessScopedUserIdError.NOT_A_STRING, 'must be a string'],
    ['null', null, BusinessScopedUserIdError.NOT_A_STRING, 'must be a string'],
    ['an object', { id: 'US.1' }, BusinessScopedUserIdError.NOT_A_STRING, 'must be a string'],
    ['empty', '', BusinessScopedUserIdError.MALFORMED, 'two-letter upper-case region'],
    ['no region', '13491208655302741918', BusinessScopedUserIdError.PHONE_NUMBER, 'phone number goes in to'],
    ['a phone number', '+44 7700 900123', BusinessScopedUserIdError.PHONE_NUMBER, 'phone number goes in to'],
    ['a lower-case region', 'us.13491208655302741918', BusinessScopedUserIdError.MALFORMED, 'upper-case region'],
    ['a three-letter region', 'USA.13491208655302741918', BusinessScopedUserIdError.MALFORMED, 'two-letter'],
    ['no dot', 'US13491208655302741918', BusinessScopedUserIdError.MALFORMED, 'a dot'],
    ['nothing after the dot', 'US.', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['a parent prefix without an ID', 'US.ENT.', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['a space inside', 'US.1349 1208', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['surrounding spaces', ' US.13491208655302741918 ', BusinessScopedUserIdError.MALFORMED, 'dot'],
    ['a hyphen', 'US.1349-1208', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['a second dot', 'US.1349.1208', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['non-ASCII letters', 'US.čćž123', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['full-width digits', 'US.１２３', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['a newline', 'US.123\nUS.456', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['a NUL', 'US.123\u0000', BusinessScopedUserIdError.MALFORMED, 'letters and digits'],
    ['129 characters after the region', `US.${'1'.repeat(129)}`, BusinessScopedUserIdError.MALFORMED, '128'],
    ['a very long string', `US.${'1'.repeat(10_000)}`, BusinessScopedUserIdError.TOO_LONG, 'too long'],
  ])('should refuse %s', (_label, input, error, message) => {
    const result = parseBusinessScopedUserId(input);

    expect(result).toEqual({ ok: false, error, message: expect.stringContaining(message) });
  });

  it('should never echo what it refused into its message', () => {
    const result = parseBusinessScopedUserId('US.<script>');

    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).not.toContain('<script>');
  });
});
