import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { SendMarketingMessageDto } from './send-marketing-message.dto';

const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };

function read(to: unknown): { dto: SendMarketingMessageDto; messages: string[] } {
  const dto = plainToInstance(SendMarketingMessageDto, { to, template: TEMPLATE });
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  return { dto, messages: errors.flatMap((error) => Object.values(error.constraints ?? {})) };
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
    [undefined, 'to must be a string'],
    [447700900123, 'to must be a string'],
  ])('should refuse %j with one message naming to', (to, message) => {
    const { dto, messages } = read(to);

    expect(messages).toEqual([expect.stringContaining(message)]);
    expect(dto.to).toBe(to);
  });
});
