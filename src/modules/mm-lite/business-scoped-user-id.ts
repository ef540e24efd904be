import { BSUID_MAX_ID_LENGTH } from './mm-lite.constants';

/** Why a `recipient` was refused as a business-scoped user ID. */
export enum BusinessScopedUserIdError {
  /** Not a string (a JSON number or object is not guessed at). */
  NOT_A_STRING = 'NOT_A_STRING',
  /** Longer than any BSUID can be; refused before it is read. */
  TOO_LONG = 'TOO_LONG',
  /** Not `CC.` followed by letters and digits (spaces, other symbols, a missing dot, a lower-case prefix…). */
  MALFORMED = 'MALFORMED',
  /** A phone number given as `recipient`: phone numbers go in `to`. */
  PHONE_NUMBER = 'PHONE_NUMBER',
}

/** The outcome of {@link parseBusinessScopedUserId}. */
export type BusinessScopedUserIdResult =
  | {
      ok: true;
      /** The ID exactly as given: Meta asks for the full string, never a rewritten one. */
      bsuid: string;
      /** The ISO 3166 alpha-2 prefix (`US`). */
      region: string;
      /** A parent BSUID (`US.ENT.…`), which spans the portfolios enrolled together. */
      parent: boolean;
    }
  | {
      ok: false;
      error: BusinessScopedUserIdError;
      /** Says what is wrong and how a BSUID looks, without the field name. */
      message: string;
    };

const EXAMPLE = 'e.g. US.13491208655302741918';

// graph-api-2026 §A.6: `<ISO-3166 alpha-2>.<up to 128 alphanumerics>`; a parent BSUID puts `ENT.` between.
const BSUID = new RegExp(`^([A-Z]{2})\\.(ENT\\.)?[A-Za-z0-9]{1,${BSUID_MAX_ID_LENGTH}}$`);
const PARENT_PREFIX_LENGTH = 'US.ENT.'.length;
const LOOKS_LIKE_A_PHONE_NUMBER = /^[+\d\s().-]+$/;

/**
 * Reads a business-scoped user ID (BSUID) as Meta defines it (graph-api-2026 §A.6): an ISO 3166 alpha-2
 * region, a dot, and up to 128 ASCII letters and digits (`US.13491208655302741918`), or a parent BSUID with
 * `ENT.` after the region (`US.ENT.11815799212886844830`). Nothing is trimmed or re-cased: a BSUID is sent
 * exactly as Meta issued it, so anything that is not already one is refused with the reason. Pure.
 */
export function parseBusinessScopedUserId(input: unknown): BusinessScopedUserIdResult {
  if (typeof input !== 'string') {
    return refuse(
      BusinessScopedUserIdError.NOT_A_STRING,
      `must be a string holding a business-scoped user ID, ${EXAMPLE}`,
    );
  }
  if (input.length > PARENT_PREFIX_LENGTH + BSUID_MAX_ID_LENGTH) {
    return refuse(
      BusinessScopedUserIdError.TOO_LONG,
      `is too long for a business-scoped user ID (a region, a dot and at most ${BSUID_MAX_ID_LENGTH} letters and digits)`,
    );
  }
  const match = BSUID.exec(input);
  if (match) {
    return { ok: true, bsuid: input, region: match[1], parent: match[2] !== undefined };
  }
  if (LOOKS_LIKE_A_PHONE_NUMBER.test(input) && /\d/.test(input)) {
    return refuse(
      BusinessScopedUserIdError.PHONE_NUMBER,
      `must be a business-scoped user ID (${EXAMPLE}); a phone number goes in to instead`,
    );
  }
  return refuse(
    BusinessScopedUserIdError.MALFORMED,
    `must be a business-scoped user ID as Meta issues it: a two-letter upper-case region, a dot, then up to ${BSUID_MAX_ID_LENGTH} letters and digits (${EXAMPLE}, or a parent ID such as US.ENT.11815799212886844830)`,
  );
}

function refuse(error: BusinessScopedUserIdError, message: string): BusinessScopedUserIdResult {
  return { ok: false, error, message };
}
