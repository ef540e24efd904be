import type { CreateSignupSessionInput } from 'src/meta-simulator/meta-simulator.types';

import type { TestApp } from './create-test-app';

/** A number connected through the API: Meta's WABA and phone number IDs. */
export interface ConnectedNumber {
  wabaId: string;
  phoneNumberId: string;
}

/** Connects a new WABA and number of the simulator through `POST /api/v1/phone-numbers`, as the key's organization. */
export async function connectNumber(
  sut: TestApp,
  key: string,
  session: CreateSignupSessionInput,
): Promise<ConnectedNumber> {
  const { code, wabaId, phoneNumberId } = sut.simulator.createSignupSession(session);
  await sut
    .http()
    .post('/api/v1/phone-numbers')
    .set('Authorization', `Bearer ${key}`)
    .send({ code, wabaId, phoneNumberId })
    .expect(201);
  return { wabaId, phoneNumberId };
}

/** Onboards the number's WABA to MM Lite at Meta, refreshes the panel, and switches the number to MM_LITE. */
export async function onboardToMmLite(sut: TestApp, key: string, number: ConnectedNumber): Promise<void> {
  await sut.simulator.applyEvent(number.wabaId, 'MM_LITE_ONBOARDED', { silent: true });
  await sut
    .http()
    .post(`/api/v1/wabas/${number.wabaId}/mm-lite/refresh`)
    .set('Authorization', `Bearer ${key}`)
    .expect(200);
  await sut
    .http()
    .patch(`/api/v1/phone-numbers/${number.phoneNumberId}`)
    .set('Authorization', `Bearer ${key}`)
    .send({ sendingChannel: 'MM_LITE' })
    .expect(200);
}
