import { RECIPIENT_MAX_DIGITS, RECIPIENT_MAX_INPUT_LENGTH, RECIPIENT_MIN_DIGITS } from './mm-lite.constants';

/** Why a recipient number was refused. */
export enum RecipientNumberError {
  /** Not a string at all (a JSON number loses the `+` and leading zeros, so it is not guessed at). */
  NOT_A_STRING = 'NOT_A_STRING',
  /** Empty, only separators, or only `+`. */
  NO_DIGITS = 'NO_DIGITS',
  /** Longer than any phone number written with separators; refused before it is read. */
  INPUT_TOO_LONG = 'INPUT_TOO_LONG',
  /** A letter, a control character (NUL, tab, newline) or a symbol other than the accepted separators. */
  INVALID_CHARACTER = 'INVALID_CHARACTER',
  /** A digit of another script (`٤٤`, full-width `４４`): read differently by different systems, so refused. */
  NON_ASCII_DIGIT = 'NON_ASCII_DIGIT',
  /** `+` after a digit, or more than one `+`. */
  MISPLACED_PLUS = 'MISPLACED_PLUS',
  /** `(` without `)`, `)` without `(`, or nested parentheses. */
  UNBALANCED_PARENTHESES = 'UNBALANCED_PARENTHESES',
  /** A national number: a single leading `0` trunk prefix (`07700 900123`) or a bracketed area code first. */
  NO_COUNTRY_CODE = 'NO_COUNTRY_CODE',
  /** `+0…` or `000…`: country calling codes never start with 0. */
  COUNTRY_CODE_STARTS_WITH_ZERO = 'COUNTRY_CODE_STARTS_WITH_ZERO',
  /** Fewer than 7 digits with the country code. */
  TOO_FEW_DIGITS = 'TOO_FEW_DIGITS',
  /** More than 15 digits with the country code (the E.164 maximum). */
  TOO_MANY_DIGITS = 'TOO_MANY_DIGITS',
}

/** The outcome of {@link parseRecipientNumber}. */
export type RecipientNumberResult =
  | {
      ok: true;
      /** `+` and the digits: what Meta is sent and what the region check reads. */
      e164: string;
    }
  | {
      ok: false;
      error: RecipientNumberError;
      /** Says what is wrong and how to write it, without the field name (`must include the country code…`). */
      message: string;
    };

const EXAMPLE = 'e.g. +44 7700 900123';

// Hyphen-like characters that word processors and web pages substitute for `-` when a number is pasted:
// U+2010–U+2015 (hyphen … horizontal bar), U+2212 minus, U+FE63 small and U+FF0D full-width hyphen-minus.
const DASHES = /^[-\u2010-\u2015\u2212\uFE63\uFF0D]$/u;
// Space separators only (U+0020, no-break U+00A0, thin U+2009, narrow no-break U+202F …); tabs and
// newlines are control characters and suggest two fields pasted together, so they are refused.
const SPACE = /^\p{Zs}$/u;
// Invisible marks that phones and chat apps wrap around a copied number (left-to-right marks, bidi
// isolates and embeddings, zero-width spaces, BOM): they carry no digit, so they are skipped like spaces.
const INVISIBLE_MARKS = /^[\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
const VISIBLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * Reads a recipient phone number written the way people write it and returns it in E.164 (`+` and 7 to 15
 * digits), or says why it cannot be one. Pure; used by the send DTO and usable wherever a user gives a
 * WhatsApp number.
 *
 * Accepted:
 * - an international prefix `+` or `00` (`+44 7700 900123`, `0044 7700 900123`, `(+44) 7700 900123`);
 * - no prefix, digits starting 1–9, read as already holding the country code (`447700900123`), as before;
 * - separators anywhere: spaces (any Unicode space separator), hyphens and dashes, dots, parentheses,
 *   and the invisible direction marks that copying from a phone or chat app adds;
 * - a `(0)` right after the country code, which marks the trunk prefix dropped when dialling from abroad
 *   (`+44 (0)7700 900123` → `+447700900123`).
 *
 * Refused: no digits, letters or other characters, non-ASCII digits, a misplaced or repeated `+`,
 * unbalanced or nested parentheses, national numbers (`07700 900123`, `(415) 555-0100`), a country code
 * starting with 0 (`+0…`, `000…`), and fewer than 7 or more than 15 digits.
 */
export function parseRecipientNumber(input: unknown): RecipientNumberResult {
  if (typeof input !== 'string') {
    return refuse(RecipientNumberError.NOT_A_STRING, `must be a string holding a phone number, ${EXAMPLE}`);
  }
  if (input.length > RECIPIENT_MAX_INPUT_LENGTH) {
    return refuse(
      RecipientNumberError.INPUT_TOO_LONG,
      `is too long to be a phone number (at most ${RECIPIENT_MAX_INPUT_LENGTH} characters, ${RECIPIENT_MAX_DIGITS} digits)`,
    );
  }

  let digits = '';
  let plus = false;
  let inGroup = false;
  let groupStart = 0;
  let startsWithGroup = false;
  /** Where a `(0)` group sat in `digits`, to drop it once the country code is known. */
  let bracketedZeroAt: number | null = null;
  for (const char of input) {
    if (char >= '0' && char <= '9') {
      digits += char;
    } else if (char === '+') {
      if (plus || digits !== '') {
        return refuse(RecipientNumberError.MISPLACED_PLUS, `may have one + only, before the country code (${EXAMPLE})`);
      }
      plus = true;
    } else if (char === '(') {
      if (inGroup) {
        return refuse(RecipientNumberError.UNBALANCED_PARENTHESES, 'must not nest parentheses');
      }
      inGroup = true;
      groupStart = digits.length;
      startsWithGroup ||= digits === '' && !plus;
    } else if (char === ')') {
      if (!inGroup) {
        return refuse(RecipientNumberError.UNBALANCED_PARENTHESES, 'has a ) without a matching (');
      }
      inGroup = false;
      if (digits.slice(groupStart) === '0' && bracketedZeroAt === null) {
        bracketedZeroAt = groupStart;
      }
    } else if (char === '.' || DASHES.test(char) || SPACE.test(char) || INVISIBLE_MARKS.test(char)) {
      continue;
    } else if (DECIMAL_DIGIT.test(char)) {
      return refuse(
        RecipientNumberError.NON_ASCII_DIGIT,
        `must be written with the digits 0-9 (found ${describe(char)})`,
      );
    } else {
      return refuse(
        RecipientNumberError.INVALID_CHARACTER,
        `may contain only digits, a leading + or 00, spaces, hyphens, dots and parentheses (found ${describe(char)})`,
      );
    }
  }
  if (inGroup) {
    return refuse(RecipientNumberError.UNBALANCED_PARENTHESES, 'has a ( without a matching )');
  }
  if (digits === '') {
    return refuse(RecipientNumberError.NO_DIGITS, `must be a phone number with its country code, ${EXAMPLE}`);
  }

  // `00` is the international prefix of most of the world; `011` (North America) and other exit codes are
  // not read, since a leading 0 followed by other digits is a trunk prefix in too many countries (UK 0113…).
  const prefixLength = plus ? 0 : digits.startsWith('00') ? 2 : 0;
  const international = plus || prefixLength === 2;
  if (!international && digits.startsWith('0')) {
    return refuse(
      RecipientNumberError.NO_COUNTRY_CODE,
      `must include the country code: a number starting with a single 0 is a national number; write it with + and the country code (${EXAMPLE} rather than 07700 900123)`,
    );
  }
  if (!international && startsWithGroup) {
    return refuse(
      RecipientNumberError.NO_COUNTRY_CODE,
      'must include the country code: a number starting with an area code in parentheses is a national number; write it with + and the country code (e.g. +1 415 555 0100 rather than (415) 555-0100)',
    );
  }

  // "+44 (0)20 …" means "dial 0 only from inside the country": drop it when it follows a 1–3 digit
  // country code. Anywhere else a bracketed 0 is an ordinary digit.
  const countryCodeLength = bracketedZeroAt === null ? 0 : bracketedZeroAt - prefixLength;
  if (bracketedZeroAt !== null && countryCodeLength >= 1 && countryCodeLength <= 3) {
    digits = digits.slice(0, bracketedZeroAt) + digits.slice(bracketedZeroAt + 1);
  }

  const number = digits.slice(prefixLength);
  if (number.startsWith('0')) {
    return refuse(
      RecipientNumberError.COUNTRY_CODE_STARTS_WITH_ZERO,
      `must have a country code after + or 00, and country codes never start with 0 (${EXAMPLE} or 0044 7700 900123)`,
    );
  }
  if (number.length < RECIPIENT_MIN_DIGITS) {
    return refuse(
      RecipientNumberError.TOO_FEW_DIGITS,
      `has too few digits for a phone number: ${number.length}, at least ${RECIPIENT_MIN_DIGITS} with the country code (${EXAMPLE})`,
    );
  }
  if (number.length > RECIPIENT_MAX_DIGITS) {
    return refuse(
      RecipientNumberError.TOO_MANY_DIGITS,
      `has too many digits for a phone number: ${number.length}, at most ${RECIPIENT_MAX_DIGITS} with the country code (E.164)`,
    );
  }
  return { ok: true, e164: `+${number}` };
}

function refuse(error: RecipientNumberError, message: string): RecipientNumberResult {
  return { ok: false, error, message };
}

/** Names a character safely: invisible and control characters (NUL, tab) by code point only. */
function describe(char: string): string {
  const codePoint = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return VISIBLE.test(char) ? `"${char}", ${codePoint}` : codePoint;
}

// ITU-T E.164 country calling codes of one and two digits; every other code has three (the codes are a
// prefix code: no code is the prefix of another, so the first match is the code).
const ONE_DIGIT_CODES = new Set(['1', '7']);
const TWO_DIGIT_CODES = new Set([
  ...['20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49'],
  ...['51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84'],
  ...['86', '90', '91', '92', '93', '94', '95', '98'],
]);

/** The country calling code (digits, no `+`) of an E.164 number (`+447700900123` → `44`). */
export function countryCallingCode(e164: string): string {
  const digits = e164.replace(/^\+/, '');
  if (ONE_DIGIT_CODES.has(digits.slice(0, 1))) {
    return digits.slice(0, 1);
  }
  if (TWO_DIGIT_CODES.has(digits.slice(0, 2))) {
    return digits.slice(0, 2);
  }
  return digits.slice(0, 3);
}
