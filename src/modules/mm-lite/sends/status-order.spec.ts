import { MarketingMessageStatus as S } from 'src/modules/mm-lite/mm-lite.constants';

import { rankSql, statusApplies } from './status-order';

describe(statusApplies.name, () => {
  it.each<[S, S]>([
    [S.UNKNOWN, S.SENT],
    [S.ACCEPTED, S.SENT],
    [S.ACCEPTED, S.DELIVERED],
    [S.SENT, S.DELIVERED],
    [S.SENT, S.READ],
    [S.DELIVERED, S.READ],
    [S.ACCEPTED, S.FAILED],
    [S.SENT, S.FAILED],
    [S.DELIVERED, S.FAILED],
    [S.READ, S.FAILED],
  ])('should apply over %s a later %s', (stored, incoming) => {
    expect(statusApplies(stored, incoming)).toBe(true);
  });

  it.each<[S, S]>([
    [S.READ, S.SENT],
    [S.READ, S.DELIVERED],
    [S.DELIVERED, S.SENT],
    [S.SENT, S.SENT],
    [S.READ, S.READ],
    [S.FAILED, S.SENT],
    [S.FAILED, S.DELIVERED],
    [S.FAILED, S.READ],
    [S.FAILED, S.FAILED],
  ])('should not apply over %s a late %s', (stored, incoming) => {
    expect(statusApplies(stored, incoming)).toBe(false);
  });

  it('should rank ACCEPTED and UNKNOWN alike: a status settles a send whose answer was lost', () => {
    expect(statusApplies(S.UNKNOWN, S.ACCEPTED)).toBe(false);
    expect(statusApplies(S.ACCEPTED, S.UNKNOWN)).toBe(false);
  });
});

describe(rankSql.name, () => {
  it('should spell every status with its rank, in SQL', () => {
    const sql = rankSql('m.status');

    expect(sql).toBe(
      "(CASE m.status::text WHEN 'UNKNOWN' THEN 0 WHEN 'ACCEPTED' THEN 0 WHEN 'SENT' THEN 1 " +
        "WHEN 'DELIVERED' THEN 2 WHEN 'READ' THEN 3 WHEN 'FAILED' THEN 4 ELSE 0 END)",
    );
  });
});
