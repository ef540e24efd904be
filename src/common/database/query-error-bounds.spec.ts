import { boundQueryError } from 'src/common/database/query-error-bounds';
import { MAX_LOGGED_ERROR_TEXT } from 'src/common/logging/describe-error';

describe('boundQueryError', () => {
  it("should keep PostgreSQL's message without the SQL knex put in front, bounded, with the quoting fields", () => {
    const sql = `insert into "webhook_inbox" ("payload") values ('${'x'.repeat(4_000_000)}')`;
    const error = Object.assign(new Error(`${sql} - invalid input syntax for type json`), {
      code: '22P02',
      detail: `Failing row contains (${'x'.repeat(4_000_000)})`,
      where: 'JSON data, line 1: …',
    });
    boundQueryError(error, sql);
    expect(error.message).toBe('invalid input syntax for type json');
    expect(error.code).toBe('22P02');
    expect(error.detail.length).toBeLessThanOrEqual(MAX_LOGGED_ERROR_TEXT);
    expect(error.where).toBe('JSON data, line 1: …');
  });

  it('should bound a message that does not start with the SQL', () => {
    const error = new Error('y'.repeat(10_000));
    boundQueryError(error, 'select 1');
    expect(error.message.length).toBeLessThanOrEqual(MAX_LOGGED_ERROR_TEXT);
  });
});
