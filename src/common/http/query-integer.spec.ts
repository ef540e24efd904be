import { plainToInstance } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';

import { IsQueryInteger } from 'src/common/http/query-integer';

class QueryDto {
  @IsOptional()
  @IsQueryInteger()
  limit?: number;
}

/** What the global pipe does with a query: transform, then validate. */
function read(limit: unknown): { limit: unknown; errors: string[] } {
  const dto = plainToInstance(QueryDto, { limit });
  const errors = validateSync(dto).flatMap((error) => Object.values(error.constraints ?? {}));
  return { limit: dto.limit, errors };
}

describe(IsQueryInteger.name, () => {
  it.each(['0', '10', '010', '100', '99999999999999999999'])('should read %j as a number', (value) => {
    expect(read(value)).toEqual({ limit: Number(value), errors: [] });
  });

  it.each([
    '0x10',
    '0X10',
    '0b1',
    '0o7',
    '1e1',
    ' 10',
    '10 ',
    '+10',
    '10.0',
    '-1',
    '１０',
    '١٠',
    '1_0',
    '',
    'Infinity',
  ])('should refuse %j, naming the parameter', (value) => {
    expect(read(value)).toEqual({ limit: value, errors: ['limit must be a whole number in decimal digits'] });
  });

  it('should refuse a repeated parameter (an array) rather than read one of its values', () => {
    expect(read(['1', '2']).errors).toEqual(['limit must be a whole number in decimal digits']);
  });
});
