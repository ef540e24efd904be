import { MARKETING_MESSAGE_STATUS_RANK, type MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';

/**
 * Whether a status Meta reports applies over the one a send shows: only a higher rank does, so a late `sent`
 * never overwrites `read`, nothing overwrites FAILED (a failure is final), and a `failed` reported after
 * `delivered` or `read` applies (Meta can report one: the message did not reach the user after all, or
 * the read receipt came from a device the message then failed on; the failure is the news worth showing).
 */
export function statusApplies(stored: MarketingMessageStatus, incoming: MarketingMessageStatus): boolean {
  return MARKETING_MESSAGE_STATUS_RANK[incoming] > MARKETING_MESSAGE_STATUS_RANK[stored];
}

/** The same rank in SQL, from the same table: `(CASE <column>::text WHEN 'SENT' THEN 1 … ELSE 0 END)`. */
export function rankSql(column: string): string {
  const whens = Object.entries(MARKETING_MESSAGE_STATUS_RANK)
    .map(([status, rank]) => `WHEN '${status}' THEN ${rank}`)
    .join(' ');
  return `(CASE ${column}::text ${whens} ELSE 0 END)`;
}
