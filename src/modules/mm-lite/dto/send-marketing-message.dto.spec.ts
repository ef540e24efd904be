import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { SendMarketingMessageDto } from './send-marketing-message.dto';

const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };

function readBody(body: Record<string, unknown>): {
  dto: SendMarketingMessageDto;
  messages: string[];
  fields: string[];
} {
  const dto = plainToInstance(SendMarketingMessageDto, { ...body, template: TEMPLATE });
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  return {
    dto,
    messages: errors.flatMap((error) => Object.values(error.constraints ?? {})),
    fields: errors.map((error) => error.property),
  };
}

function read(to: unknown): { dto: SendMarketingMessageDto; messages: string[] } {
  return readBody({ to });
}

describe(SendMarketingMessageDto.name, () => {
  it.each([
    ['+1 (416) 555-0100', '+14165550100'],
    ['0044 7700 900123', '+447700900123'],
    ['447700900123', '+447700900123'],
  ])('should hand the service %j as %s', (to, e164) => {
    const { dto, messages } = read(to);

    expect(messages).toEqual([]);
    expect(dto.to).toBe(e164);
  });

  it.each<[unknown, string]>([
    ['07700 900123', 'to must include the country code'],
    ['+44 7700 900abc', 'to may contain only digits'],
    [undefined, 'to or recipient is required'],
    [447700900123, 'to must be a string'],
  ])('should refuse %j with one message naming to', (to, message) => {
    const { dto, messages } = read(to);

    expect(messages).toEqual([expect.stringContaining(message)]);
    expect(dto.to).toBe(to);
  });

  describe('recipient (a business-scoped user ID)', () => {
    it.each(['US.13491208655302741918', 'US.ENT.11815799212886844830', 'GB.aB3xYz09'])(
      'should hand the service %s exactly as given, with no to',
      (recipient) => {
        const { dto, messages } = readBody({ recipient });

        expect(messages).toEqual([]);
        expect(dto.recipient).toBe(recipient);
        expect(dto.to).toBeUndefined();
      },
    );

    it('should treat a null to next to a recipient as left out', () => {
      expect(readBody({ to: null, recipient: 'US.13491208655302741918' }).messages).toEqual([]);
      expect(readBody({ to: '+447700900123', recipient: null }).messages).toEqual([]);
    });

    it.each<[string, Record<string, unknown>, string, string]>([
      ['both', { to: '+447700900123', recipient: 'US.13491208655302741918' }, 'recipient', 'exactly one of to'],
      ['neither', {}, 'to', 'to or recipient is required'],
      ['a malformed BSUID', { recipient: 'us.13491208655302741918' }, 'recipient', 'upper-case region'],
      ['a phone number as recipient', { recipient: '+447700900123' }, 'recipient', 'phone number goes in to'],
      ['a JSON number as recipient', { recipient: 1349120865530274 }, 'recipient', 'must be a string'],
      ['an empty recipient', { recipient: '' }, 'recipient', 'business-scoped user ID'],
    ])('should refuse %s with one message naming the field', (_label, body, field, message) => {
      const { messages, fields } = readBody(body);

      expect(fields).toEqual([field]);
      expect(messages).toEqual([expect.stringContaining(message)]);
      expect(messages[0]).toMatch(new RegExp(`^${field} `));
    });
  });
});
