/** What replaces a secret in anything we log. */
export const REDACTED = '[REDACTED]';

// Query/form parameters that carry credentials (§1.2, §2.5): redacted wherever they appear.
const SECRET_PARAMS = ['access_token', 'input_token', 'client_secret', 'appsecret_proof', 'fb_exchange_token'];
// Single-use codes and PINs: only inside a query string, because "code=" is also how our log lines read.
const QUERY_ONLY_SECRET_PARAMS = ['code', 'pin'];

const SECRET_PARAM_PATTERN = new RegExp(`\\b(${SECRET_PARAMS.join('|')})=[^&\\s"']*`, 'gi');
const QUERY_SECRET_PARAM_PATTERN = new RegExp(`([?&])(${QUERY_ONLY_SECRET_PARAMS.join('|')})=[^&\\s"']*`, 'gi');
const BEARER_PATTERN = /\b(Bearer|OAuth)\s+[^\s"',]+/gi;
// Meta user/system-user/business tokens start with EAA and are long; doc samples too.
const META_TOKEN_PATTERN = /\bEAA[A-Za-z0-9_-]{10,}/g;
// App access token `APP_ID|APP_SECRET`.
const APP_TOKEN_PATTERN = /\b\d{5,}\|[A-Za-z0-9_-]{8,}/g;

/**
 * Removes the query string (and fragment) of a URL or path. Graph paths carry only IDs and edge names,
 * which are safe to log; the query string is where tokens, secrets and codes would be.
 */
export function pathWithoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  const path = cut === -1 ? url : url.slice(0, cut);
  if (path.startsWith('/')) {
    // A path from the root is no absolute URL (a scheme comes first): `new URL` would only throw, and a
    // thrown error's stack costs every Graph call.
    return path;
  }
  try {
    // Absolute URLs (paging.next) keep only their path.
    return new URL(path).pathname;
  } catch {
    return path;
  }
}

/**
 * Redacts secrets in free text: Bearer/OAuth credentials, `access_token=`/`client_secret=`/`code=`/…
 * parameters, Meta-looking tokens, app access tokens, and any caller-supplied secret values verbatim.
 */
export function redactText(text: string, secrets: ReadonlyArray<string | null | undefined> = []): string {
  let result = text;
  for (const secret of secrets) {
    // Very short values (e.g. an empty app secret in sandbox) would shred ordinary text.
    if (secret && secret.length >= 4) {
      result = result.split(secret).join(REDACTED);
    }
  }
  return result
    .replace(BEARER_PATTERN, `$1 ${REDACTED}`)
    .replace(SECRET_PARAM_PATTERN, `$1=${REDACTED}`)
    .replace(QUERY_SECRET_PARAM_PATTERN, `$1$2=${REDACTED}`)
    .replace(META_TOKEN_PATTERN, REDACTED)
    .replace(APP_TOKEN_PATTERN, REDACTED);
}

/** A URL with every query parameter value replaced, for the rare log line that needs the parameter names. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) {
    return url;
  }
  const base = url.slice(0, queryStart);
  const query = url
    .slice(queryStart + 1)
    .split('#')[0]
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => `${pair.split('=')[0]}=${REDACTED}`)
    .join('&');
  return `${base}?${query}`;
}
