/** A run of 16 or more digits: the only integers that can lie beyond 2^53 (9,007,199,254,740,992). */
const LONG_DIGITS = /\d{16}/;

/**
 * `JSON.parse` that keeps the digits of integers beyond 2^53 by reading them as strings. Meta sends template
 * IDs as JSON numbers in template webhooks (graph-api-2026.md §A.2) and such IDs can exceed 2^53: parsed as
 * numbers they would silently become another template's ID. Only integer literals outside strings that are
 * not safe integers change; every other value parses as `JSON.parse` parses it. A text without a run of 16
 * digits is handed to `JSON.parse` as it is.
 */
export function parseJsonKeepingBigIntegers(text: string): unknown {
  if (!LONG_DIGITS.test(text)) {
    return JSON.parse(text);
  }
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') {
        index++;
      } else if (char === '"') {
        inString = false;
      }
      continue;
    }
    if (char === '"') {
      inString = true;
      continue;
    }
    if (char !== '-' && (char < '0' || char > '9')) {
      continue;
    }
    let end = index + 1;
    while (end < text.length && /[0-9eE.+-]/.test(text[end])) {
      end++;
    }
    const literal = text.slice(index, end);
    if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
      out += `${text.slice(copiedUpTo, index)}"${literal}"`;
      copiedUpTo = end;
    }
    index = end - 1;
  }
  return JSON.parse(out + text.slice(copiedUpTo));
}
