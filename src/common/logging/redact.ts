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
