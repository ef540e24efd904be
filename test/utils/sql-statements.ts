import { Client } from 'pg';

/** The statements node-postgres sent while some work ran, by text (parameters aside), in order. */
export interface StatementLog {
  texts: string[];
  /** How many texts match `pattern`. */
  count(pattern: RegExp): number;
}

/**
 * Runs `work` with every query of `pg`'s clients in this process recorded (the app under test runs in
 * this process: its pool, its transactions, the live-events relay), and returns what it sent. Nothing
 * else may run meanwhile for the count to be the work's: one request at a time, with the scheduler off.
 */
export async function recordStatements(work: () => Promise<unknown>): Promise<StatementLog> {
  const texts: string[] = [];
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function recorded(this: unknown, ...args: unknown[]): unknown {
    const [first] = args;
    const text = typeof first === 'string' ? first : (first as { text?: unknown } | undefined)?.text;
    texts.push(typeof text === 'string' ? text.replace(/\s+/g, ' ').trim() : '(unknown)');
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    prototype.query = original;
  }
  return { texts, count: (pattern) => texts.filter((text) => pattern.test(text)).length };
}
