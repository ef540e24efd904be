/** Query and body keys whose values never reach a log line. */
const SENSITIVE_KEYS =
  /^(access_token|input_token|client_secret|code|hub\.verify_token|token|key|pin|password|secret|appsecret_proof)$/i;

/** Returns the URL with the values of sensitive query parameters replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) {
    return url;
  }
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const key of [...params.keys()]) {
    if (SENSITIVE_KEYS.test(key)) {
      params.set(key, '[REDACTED]');
    }
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}

/** pino redaction paths for HTTP logs. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'res.headers["set-cookie"]',
  '*.accessToken',
  '*.access_token',
  '*.token',
  '*.pin',
  '*.key',
  '*.appSecret',
];
