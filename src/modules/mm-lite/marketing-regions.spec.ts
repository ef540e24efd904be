import {
  findMarketingRestriction,
  MARKETING_REGION_RESTRICTIONS,
  marketingRegionNotice,
  type MarketingRegionRestriction,
} from './marketing-regions';

describe(findMarketingRestriction.name, () => {
  it.each(['+16505551234', '16505551234', '+12125550100', '+17875550100'])('should restrict the US number %s', (to) => {
    expect(findMarketingRestriction(to)?.region).toBe('US');
  });

  it.each(['+14165550123', '16045550123', '+18765550123', '+447700900123', '+5511987654321', '+61412345678'])(
    'should not restrict %s',
    (to) => {
      expect(findMarketingRestriction(to)).toBeNull();
    },
  );

  it('should read any table it is given, so a new restriction is one row', () => {
    const table: MarketingRegionRestriction[] = [
      ...MARKETING_REGION_RESTRICTIONS,
      {
        region: 'XX',
        name: 'Example',
        callingCode: '999',
        allowedNationalPrefixes: [],
        since: '2030-01-01',
        reason: 'test',
      },
    ];
    expect(findMarketingRestriction('+9995550100', table)?.region).toBe('XX');
    expect(findMarketingRestriction('+9995550100')).toBeNull();
  });
});

describe(marketingRegionNotice.name, () => {
  it('should name every restricted region with its date', () => {
    const notice = marketingRegionNotice();
    for (const restriction of MARKETING_REGION_RESTRICTIONS) {
      expect(notice).toContain(`${restriction.name} (+${restriction.callingCode}) since ${restriction.since}`);
    }
    expect(notice).toContain('delivery optimization does not apply in every region');
  });
});
