/**
 * True when a report as of `observedAt` is older than a fact known as of `asOf` (null: never reported), in
 * whole seconds: Meta's `entry.time` has whole-second precision, so a read and a webhook of the same second
 * count as equally recent and the later-applied one wins. Every owner of "as of" facts (WABAs, numbers)
 * judges staleness with this one rule.
 */
export function isOlderReport(observedAt: Date, asOf: Date | null): boolean {
  return asOf !== null && wholeSeconds(observedAt) < wholeSeconds(asOf);
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
