import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { readSessionInfo } from './signup-session';

// The console's own tsconfig has no path aliases: the fixtures are read by path from the repository root.
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'meta', '2026', 'embedded-signup');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

describe(readSessionInfo.name, () => {
  it('should read the v4 FINISH event of the fixture, as an object or as a JSON string', () => {
    const message = fixture('message_event.finish.v4.json');
    const expected = {
      kind: 'finished',
      event: 'FINISH',
      wabaId: '524126980791429',
      phoneNumberId: '106540352242922',
      businessId: '2729063490586005',
    };

    expect(readSessionInfo(message)).toEqual(expected);
    expect(readSessionInfo(JSON.stringify(message))).toEqual(expected);
  });

  it.each(['FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING', 'FINISH_OBO_MIGRATION', 'FINISH_GRANT_ONLY_API_ACCESS'])(
    'should read the success event %s like FINISH',
    (event) => {
      const info = readSessionInfo({
        type: 'WA_EMBEDDED_SIGNUP',
        event,
        data: { waba_id: '1', phone_number_id: '2', business_id: '3' },
      });

      expect(info).toEqual({ kind: 'finished', event, wabaId: '1', phoneNumberId: '2', businessId: '3' });
    },
  );

  it('should read FINISH_ONLY_WABA as finished without a number, and a multi-WABA answer by its first WABA', () => {
    expect(readSessionInfo({ type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH_ONLY_WABA', data: { waba_id: '1' } })).toEqual({
      kind: 'finished',
      event: 'FINISH_ONLY_WABA',
      wabaId: '1',
      phoneNumberId: null,
      businessId: null,
    });
    expect(
      readSessionInfo({
        type: 'WA_EMBEDDED_SIGNUP',
        event: 'FINISH',
        data: { waba_ids: ['7', '8'], phone_number_id: '2' },
      }),
    ).toMatchObject({ wabaId: '7', phoneNumberId: '2' });
  });

  it("should read a user-reported error with Meta's error_code (2026) or error_id (older pages)", () => {
    const message = fixture('message_event.cancel_user_reported_error.v4.json');

    expect(readSessionInfo(message)).toEqual({
      kind: 'cancelled',
      message: '<TEXT SHOWN TO THE CUSTOMER> (Meta error 524126)',
    });
    expect(
      readSessionInfo({ type: 'WA_EMBEDDED_SIGNUP', event: 'CANCEL', data: { error_message: 'No', error_id: '42' } }),
    ).toEqual({ kind: 'cancelled', message: 'No (Meta error 42)' });
  });

  it('should say where an abandoned flow stopped', () => {
    expect(
      readSessionInfo({ type: 'WA_EMBEDDED_SIGNUP', event: 'CANCEL', data: { current_step: 'PHONE_NUMBER_SETUP' } }),
    ).toEqual({ kind: 'cancelled', message: 'Embedded Signup was closed before it finished (at PHONE_NUMBER_SETUP).' });
  });

  it.each<[string, unknown]>([
    ['another type', { type: 'SOMETHING_ELSE', event: 'FINISH', data: { waba_id: '1' } }],
    ['no event', { type: 'WA_EMBEDDED_SIGNUP', data: {} }],
    ['an unknown event', { type: 'WA_EMBEDDED_SIGNUP', event: 'PROGRESS', data: {} }],
    ['a string that is not JSON', 'hello'],
    ['null', null],
  ])('should ignore %s', (_label, message) => {
    expect(readSessionInfo(message)).toBeNull();
  });
});
