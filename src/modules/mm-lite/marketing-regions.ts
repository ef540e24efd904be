/**
 * The one maintained table of destinations where marketing templates are refused before any call to
 * Meta (product-spec §2.7). Add a row when Meta announces a new restriction; the panel's region notice
 * and the send pre-check both read it.
 */
export interface MarketingRegionRestriction {
  /** ISO 3166 region. */
  region: string;
  name: string;
  /** E.164 country calling code, without `+`. */
  callingCode: string;
  /**
   * National prefixes under the same calling code that belong to other regions and stay allowed (the
   * North American Numbering Plan shares +1 between the US, Canada and Caribbean countries).
   */
  allowedNationalPrefixes: readonly string[];
  /** Day the restriction took effect (ISO date). */
  since: string;
  reason: string;
}

// Canada's geographic and non-geographic area codes, then the Caribbean and Atlantic NANP members.
// US territories (787/939, 340, 670, 671, 684) are US numbers and stay restricted.
const NANP_NON_US_AREA_CODES = [
  ...['204', '226', '236', '249', '250', '257', '263', '289', '306', '343', '354', '365', '367', '368', '382'],
  ...['403', '416', '418', '428', '431', '437', '438', '450', '460', '468', '474', '506', '514', '519', '548'],
  ...['579', '581', '584', '587', '600', '604', '613', '622', '633', '639', '644', '647', '655', '672', '677'],
  ...['683', '688', '705', '709', '742', '753', '778', '780', '782', '807', '819', '825', '867', '873', '879'],
  ...['902', '905', '942'],
  ...['242', '246', '264', '268', '284', '345', '441', '473', '649', '658', '664', '721', '758', '767', '784'],
  ...['809', '829', '849', '868', '869', '876'],
];

export const MARKETING_REGION_RESTRICTIONS: readonly MarketingRegionRestriction[] = [
  {
    region: 'US',
    name: 'United States',
    callingCode: '1',
    allowedNationalPrefixes: NANP_NON_US_AREA_CODES,
    since: '2025-04-01',
    reason: 'Meta does not deliver marketing template messages to US (+1) WhatsApp numbers',
  },
];

/** The destination as plain digits (E.164 without `+`). */
export function destinationDigits(to: string): string {
  return to.replace(/^\+/, '');
}

/** The restriction that applies to a destination (`+16505551234` or `16505551234`), or null. */
export function findMarketingRestriction(
  to: string,
  table: readonly MarketingRegionRestriction[] = MARKETING_REGION_RESTRICTIONS,
): MarketingRegionRestriction | null {
  const digits = destinationDigits(to);
  for (const restriction of table) {
    if (!digits.startsWith(restriction.callingCode)) {
      continue;
    }
    const national = digits.slice(restriction.callingCode.length);
    if (!restriction.allowedNationalPrefixes.some((prefix) => national.startsWith(prefix))) {
      return restriction;
    }
  }
  return null;
}

/**
 * The restriction on a whole region (ISO 3166 alpha-2, the prefix of a business-scoped user ID), or null.
 * A BSUID carries no number, so the region is all there is to check.
 */
export function findMarketingRestrictionForRegion(
  region: string,
  table: readonly MarketingRegionRestriction[] = MARKETING_REGION_RESTRICTIONS,
): MarketingRegionRestriction | null {
  return table.find((restriction) => restriction.region === region) ?? null;
}

/** The panel's region notice, built from the table so that both always agree. */
export function marketingRegionNotice(
  table: readonly MarketingRegionRestriction[] = MARKETING_REGION_RESTRICTIONS,
): string {
  const rows = table.map(
    (restriction) =>
      `${restriction.name} (+${restriction.callingCode}) since ${restriction.since}: ${restriction.reason}`,
  );
  return (
    `MM Lite marketing messages are restricted in some regions, and sends to them are refused here before reaching Meta — ${rows.join('; ')}. ` +
    "Meta's delivery optimization does not apply in every region. If sending fails after onboarding, first check whether the destination region is restricted."
  );
}
