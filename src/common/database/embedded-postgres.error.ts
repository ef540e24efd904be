/**
 * Embedded PostgreSQL could not be started. The message is meant for the operator as it stands: what went
 * wrong, the server's own last words when it had any, and the way out (a PostgreSQL of their own through
 * DATABASE_URL). Start-up prints it alone, without a stack trace.
 */
export class EmbeddedDatabaseError extends Error {
  override readonly name = 'EmbeddedDatabaseError';

  /**
   * @param reason why it failed, as one sentence without the final period
   * @param details further lines (server output, a hint), printed indented under the reason
   */
  constructor(reason: string, details: string[] = []) {
    const lines = details
      .flatMap((line) => line.split('\n'))
      .map((line) => line.trimEnd())
      .filter((line) => line.length > 0);
    super(
      [
        `Embedded PostgreSQL could not start: ${reason}.`,
        ...lines.map((line) => `  ${line}`),
        'To use a PostgreSQL server of your own instead, set DATABASE_URL ' +
          '(postgresql://user:password@host:5432/database, in the environment or in .env).',
      ].join('\n'),
    );
    // The frames would only point into this module; the message already says what happened and what to do.
    this.stack = `${this.name}: ${this.message}`;
  }
}
