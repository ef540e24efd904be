/** Longest text an error contributes to a log line (its message), in characters. */
export const MAX_LOGGED_ERROR_TEXT = 300;
/** Longest log message, in characters: what any caller interpolates is cut there. */
export const MAX_LOGGED_MESSAGE = 2000;
const MAX_STACK_FRAMES = 15;

/** What a log line says about an error: its class, its code (SQLSTATE, errno…), a bounded message, the frames. */
export interface ErrorSummary {
  type: string;
  code?: string;
  message: string;
  stack?: string;
}

/**
 * `text` cut to at most `max` characters, the last of which say how many were left out; shorter text is
 * returned as it is, so bounding twice changes nothing. Logs are read by people and shipped to systems
 * with line-size limits; a hostile value (a 4 MB body, the SQL that carried it) must not travel whole into
 * them.
 */
export function boundLogText(text: string, max = MAX_LOGGED_ERROR_TEXT): string {
  if (text.length <= max) {
    return text;
  }
  // The count's own digits are at most the length's, so the result fits whatever is cut.
  const kept = Math.max(0, max - ` (${text.length} more characters)…`.length);
  return `${text.slice(0, kept)}… (${text.length - kept} more characters)`;
}

/** {@link boundLogText} on one line: control characters (the newlines a driver puts in) become spaces. */
export function boundLogLine(text: string, max = MAX_LOGGED_ERROR_TEXT): string {
  return boundLogText(text, max).replace(/\p{Cc}+/gu, ' ');
}

/**
 * The loggable summary of anything thrown (an Error, or the plain object a serializer made of one): class,
 * code and bounded message, and the stack frames without the message the stack starts with. Never the
 * error's other properties, which is where drivers and parsers put the SQL, its parameters or the body.
 * The logger's `err` serializer; code that words a log line itself reuses it too, e.g. `type` and `code`
 * alone (a database error's SQLSTATE) where even a bounded message could quote a stored value.
 */
export function describeError(error: unknown): ErrorSummary {
  if (error === null || typeof error !== 'object') {
    return { type: typeof error, message: boundLogLine(String(error)) };
  }
  const { name, type, code, message, stack } = error as Record<string, unknown>;
  const summary: ErrorSummary = {
    type: boundLogLine(typeof name === 'string' ? name : typeof type === 'string' ? type : error.constructor.name, 80),
    message: typeof message === 'string' ? boundLogLine(message) : '',
  };
  if (typeof code === 'string' || typeof code === 'number') {
    summary.code = boundLogLine(String(code), 40);
  }
  if (typeof stack === 'string') {
    const frames = stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .slice(0, MAX_STACK_FRAMES)
      .map((line) => boundLogLine(line.trim()));
    if (frames.length > 0) {
      summary.stack = frames.join('\n');
    }
  }
  return summary;
}
