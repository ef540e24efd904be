import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';

import type { MetaConfig } from 'config/meta.config';
import { findFreePort } from 'src/common/database/embedded-postgres';
import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import type { FaultRule } from 'src/meta-simulator/meta-simulator.types';
import { APP_SECRET, rejection, useSimulatedGateway, SYSTEM_USER_TOKEN } from 'test/utils/meta-gateway-harness';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { MetaGateway } from './meta-gateway';
import { MetaGatewayErrorCode } from './meta-gateway.exception';
import { MetaGatewayModule } from './meta-gateway.module';

const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US', components: [{ type: 'body', parameters: [] }] };

// Writes, sends and logging. Reads: graph-api-meta-gateway.spec.ts.
describe(`${GraphApiMetaGateway.name} writes`, () => {
  let simulator: MetaSimulator;
  let sut: MetaGateway;
  let logged: string[];
  let meta: MetaConfig;

  const { requestsTo, fault, newWaba } = useSimulatedGateway(
    (started) => {
      ({ simulator, sut, meta } = started);
    },
    (lines) => {
      logged = lines;
    },
  );

  describe('writes', () => {
    it('should subscribe the app to the WABA', async () => {
      const { wabaId, token } = newWaba();

      await sut.subscribeApp(wabaId, token);

      expect(requestsTo('POST', `/${wabaId}/subscribed_apps`)).toHaveLength(1);
    });

    it('should register a number with messaging_product and the PIN', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });

      await sut.registerPhoneNumber(phone.id, '123456', token);

      const [call] = requestsTo('POST', `/${phone.id}/register`);
      expect(call.body).toMatchObject({ messaging_product: 'whatsapp' });
    });

    it.each<[string, FaultRule['kind']]>([
      ['a 5xx', 'http500'],
      ['a transient error', 'transient'],
      ['a BUC throttle', 'throttle'],
    ])('should send a POST exactly once when it fails with %s', async (_label, kind) => {
      const { wabaId, token } = newWaba();
      fault({ method: 'POST', path: `/${wabaId}/subscribed_apps`, kind });

      const error = await rejection(sut.subscribeApp(wabaId, token));

      expect([MetaGatewayErrorCode.TRANSIENT, MetaGatewayErrorCode.RATE_LIMITED]).toContain(error.code);
      expect(requestsTo('POST', `/${wabaId}/subscribed_apps`)).toHaveLength(1);
    });

    it('should abandon a hung POST at the configured timeout and send it exactly once', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({ method: 'POST', path: `/${phone.id}/register`, kind: 'hang' });

      const error = await rejection(sut.registerPhoneNumber(phone.id, '123456', token));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(requestsTo('POST', `/${phone.id}/register`)).toHaveLength(1);
    });
  });

  describe('sends', () => {
    it('should send a template through /messages with the documented body', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });

      const sent = await sut.sendTemplateMessage(phone.id, { phone: '+16505551234' }, TEMPLATE, token);

      expect(sent.messageId).toMatch(/^wamid\./);
      const [call] = requestsTo('POST', `/${phone.id}/messages`);
      expect(call.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+16505551234',
        type: 'template',
        template: { name: TEMPLATE.name, language: { code: 'en_US' }, components: TEMPLATE.components },
      });
    });

    it.each<[string, 'sendTemplateMessage' | 'sendMarketingMessage', string]>([
      ['/messages', 'sendTemplateMessage', 'messages'],
      ['/marketing_messages', 'sendMarketingMessage', 'marketing_messages'],
    ])('should send a BSUID through %s as recipient, without to', async (_label, method, edge) => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });

      const sent = await sut[method](phone.id, { bsuid: 'US.13491208655302741918' }, TEMPLATE, token);

      expect(sent.messageId).toMatch(/^wamid\./);
      const [call] = requestsTo('POST', `/${phone.id}/${edge}`);
      expect(call.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        recipient: 'US.13491208655302741918',
        type: 'template',
        template: { name: TEMPLATE.name, language: { code: 'en_US' }, components: TEMPLATE.components },
      });
    });

    it('should send a template through /marketing_messages', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });

      const sent = await sut.sendMarketingMessage(phone.id, { phone: '+447700900123' }, TEMPLATE, token);

      expect(sent.messageId).toMatch(/^wamid\./);
      expect(requestsTo('POST', `/${phone.id}/marketing_messages`)).toHaveLength(1);
    });

    it.each<[number, MetaGatewayErrorCode]>([
      [130429, MetaGatewayErrorCode.RATE_LIMITED],
      [131056, MetaGatewayErrorCode.RATE_LIMITED],
      [131031, MetaGatewayErrorCode.ACCOUNT_RESTRICTED],
      [131063, MetaGatewayErrorCode.INVALID_REQUEST],
      [131000, MetaGatewayErrorCode.TRANSIENT],
    ])('should map send error %s to %s and never resend', async (code, expected) => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({
        method: 'POST',
        path: `/${phone.id}/messages`,
        kind: 'meta_error',
        error: { code, httpStatus: 400, message: `(#${code}) error`, details: 'details' },
      });

      const error = await rejection(sut.sendTemplateMessage(phone.id, { phone: '+16505551234' }, TEMPLATE, token));

      expect(error.code).toBe(expected);
      expect(error.metaDetails).toBe('details');
      expect(requestsTo('POST', `/${phone.id}/messages`)).toHaveLength(1);
    });
  });

  describe('sends whose answer is lost', () => {
    it.each<[string, FaultRule['kind']]>([
      ['Meta accepted it, then never answered (timeout)', 'accept_then_hang'],
      ['Meta accepted it, then the connection was reset', 'accept_then_reset'],
      ['Meta accepted it, then answered 200 with an unreadable body', 'accept_then_malformed'],
      ['the answer never came, whatever Meta did', 'hang'],
      ['a 200 that is not Graph JSON came back', 'malformed'],
    ])('should throw OUTCOME_UNKNOWN, once, when %s', async (_label, kind) => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({ method: 'POST', path: `/${phone.id}/marketing_messages`, kind });

      const error = await rejection(sut.sendMarketingMessage(phone.id, { phone: '+447700900123' }, TEMPLATE, token));

      expect(error.code).toBe(MetaGatewayErrorCode.OUTCOME_UNKNOWN);
      expect(requestsTo('POST', `/${phone.id}/marketing_messages`)).toHaveLength(1);
    });

    it('should throw TRANSIENT, not OUTCOME_UNKNOWN, when Meta answers a transient Graph error', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({ method: 'POST', path: `/${phone.id}/messages`, kind: 'http503' });

      const error = await rejection(sut.sendTemplateMessage(phone.id, { phone: '+447700900123' }, TEMPLATE, token));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(requestsTo('POST', `/${phone.id}/messages`)).toHaveLength(1);
    });

    it('should throw TRANSIENT when the connection is refused, since nothing reached Meta', async () => {
      const closedPort = await findFreePort();
      const refused = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot({
            isGlobal: true,
            ignoreEnvFile: true,
            load: [() => ({ meta: { ...meta, graphApiBaseUrl: `http://127.0.0.1:${closedPort}` } })],
          }),
          MetaGatewayModule,
        ],
      }).compile();
      try {
        const error = await rejection(
          refused.get(MetaGateway).sendTemplateMessage('1234567890', { phone: '+447700900123' }, TEMPLATE, 'token'),
        );

        expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      } finally {
        await refused.close();
      }
    });

    it('should keep TRANSIENT for a read that times out: only sends can have taken effect', async () => {
      const { wabaId, token } = newWaba();
      fault({ method: 'GET', path: `/${wabaId}`, kind: 'accept_then_hang' });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
    });
  });

  describe('logging', () => {
    it('should never log a token, the app secret, a code or a PIN', async () => {
      const session = simulator.createSignupSession();
      const { accessToken } = await sut.exchangeCode(session.code);
      await sut.inspectToken(accessToken);
      await sut.getWaba(session.wabaId, accessToken);
      await sut.listPhoneNumbers(session.wabaId, accessToken);
      await sut.registerPhoneNumber(session.phoneNumberId, '654321', accessToken);
      fault({ path: `/${session.wabaId}`, kind: 'expired_token' });
      await rejection(sut.getWaba(session.wabaId, accessToken));
      await rejection(sut.exchangeCode(session.code));

      const output = logged.join('\n');
      expect(logged.length).toBeGreaterThan(0);
      for (const secret of [accessToken, APP_SECRET, session.code, '654321', SYSTEM_USER_TOKEN]) {
        expect(output).not.toContain(secret);
      }
      expect(output).not.toMatch(/\?/);
    });

    it('should log one debug line per call and one warn per mapped failure with code, metaCode and fbtraceId', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'expired_token' });

      const error = await rejection(sut.getWaba(wabaId, token));

      const warnings = logged.filter((line) => line.includes('failed:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('code=AUTH_INVALID');
      expect(warnings[0]).toContain('metaCode=190');
      expect(warnings[0]).toContain(`fbtraceId=${error.fbtraceId}`);
      expect(logged.filter((line) => line.startsWith(`GET /v25.0/${wabaId} `))).toHaveLength(2);
    });
  });
});
