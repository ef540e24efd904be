import type { ArgumentMetadata } from '@nestjs/common';

import { WabaIdParamDto } from 'src/common/http/meta-id-param.dto';
import { createValidationPipe } from 'src/common/http/validation';

import { ListWabasQueryDto } from './list-wabas-query.dto';

// Subclasses do not own `acceptPlain`: the pipe judges them with the decorators alone.
class DecoratorsOnlyQuery extends ListWabasQueryDto {}
class DecoratorsOnlyParams extends WabaIdParamDto {}

const PLAINLY_VALID_QUERIES: Array<Record<string, unknown>> = [
  {},
  { status: 'ACTIVE' },
  { status: 'DISABLED', mmLiteStatus: 'NOT_STARTED' },
  { mmLiteStatus: 'ONBOARDED', q: 'Lucky Shrub', limit: '100', cursor: 'WyIxMjMiXQ' },
  { q: '' },
  { q: '😀 Ω'.repeat(20) },
  { q: 'x'.repeat(100), limit: '007' },
  { limit: '1' },
];

const OTHER_QUERIES: Array<Record<string, unknown>> = [
  { status: 'active' },
  { mmLiteStatus: 'PENDING' },
  { q: 'x'.repeat(101) },
  { q: 'nul\u0000' },
  { q: 'bell\u0007' },
  { q: '\ud800' },
  { q: ['a', 'b'] },
  { limit: '0' },
  { limit: '101' },
  { limit: '0x10' },
  { limit: '' },
  { limit: ' 10' },
  { limit: '1000000000000000000000' },
  { cursor: 'a'.repeat(513) },
  { cursor: 'not a cursor' },
  { cursor: '' },
  { unexpected: '1' },
  { status: 'ACTIVE', unexpected: '1' },
];

describe(`${ListWabasQueryDto.name}.acceptPlain`, () => {
  const pipe = createValidationPipe();
  const byDecorators = (value: unknown, metadata: ArgumentMetadata): Promise<unknown> =>
    pipe.transform(value, metadata).catch((error: unknown) => error);

  it.each(PLAINLY_VALID_QUERIES)('should accept %j as the decorators do, with the same values', async (query) => {
    const accepted = ListWabasQueryDto.acceptPlain(query);

    expect(accepted).toBeInstanceOf(ListWabasQueryDto);
    expect(accepted).toEqual(await byDecorators(query, { type: 'query', metatype: DecoratorsOnlyQuery }));
    await expect(pipe.transform(query, { type: 'query', metatype: ListWabasQueryDto })).resolves.toEqual(accepted);
  });

  it.each(OTHER_QUERIES)('should leave %j to the decorators', (query) => {
    expect(ListWabasQueryDto.acceptPlain(query)).toBeUndefined();
  });

  it('should leave every query the decorators refuse to them', async () => {
    for (const query of OTHER_QUERIES) {
      const judged = await byDecorators(query, { type: 'query', metatype: DecoratorsOnlyQuery });
      if (judged instanceof Error) {
        expect(ListWabasQueryDto.acceptPlain(query)).toBeUndefined();
      }
    }
  });

  it('should accept a WABA ID path parameter as the decorator does, and leave anything else to it', async () => {
    const params = { wabaId: '102290129340398' };

    expect(WabaIdParamDto.acceptPlain(params)).toEqual(
      await byDecorators(params, { type: 'param', metatype: DecoratorsOnlyParams }),
    );
    for (const other of [{ wabaId: 'abc' }, { wabaId: '1'.repeat(33) }, { wabaId: '1', extra: '2' }, {}]) {
      expect(WabaIdParamDto.acceptPlain(other)).toBeUndefined();
      expect(await byDecorators(other, { type: 'param', metatype: DecoratorsOnlyParams })).toBeInstanceOf(Error);
    }
  });
});
