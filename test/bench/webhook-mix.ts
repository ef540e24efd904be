import { randomBytes } from 'node:crypto';

import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { benchPhoneNumberId, benchWabaId } from 'test/bench/bench-scale';

/**
 * Share of `messages` status deliveries in the intake bursts: a platform that sends marketing messages
 * receives far more statuses (sent, delivered, read or failed for every message) than account events.
 */
export const INTAKE_STATUS_SHARE = 0.9;

/** What an intake burst is made of, for the printout. */
export interface IntakeMix {
  statuses: number;
  accountEvents: number;
}

export function describeMix(mix: IntakeMix): string {
  const total = mix.statuses + mix.accountEvents;
  return (
    `${mix.statuses} messages status deliveries (${Math.round((mix.statuses / Math.max(1, total)) * 100)} %: ` +
    'sent, delivered, read per message, 1 message in 10 failed 131049 instead) and ' +
    `${mix.accountEvents} account_update DISABLED_UPDATE events (one per WABA, the ones waited for)`
  );
}

/**
 * `count` signed `messages` status deliveries, as Meta sends them for marketing sends from the numbers of
 * these WABAs (v24+ shapes: pricing on `delivered`; BSUID fields; a failure alone): the statuses of one
 * message in order, messages spread over the WABAs. The service acknowledges statuses of unknown messages.
 */
export function statusDeliveries(
  simulator: MetaSimulator,
  count: number,
  wabaSeqs: number[],
  numbersPerWaba: number,
): Array<{ wabaId: string; body: string; signature: string }> {
  const statuses: Array<{ wabaId: string; body: string; signature: string }> = [];
  const time = Math.floor(Date.now() / 1000);
  for (let message = 0; statuses.length < count; message += 1) {
    const seq = wabaSeqs[message % wabaSeqs.length];
    const wabaId = benchWabaId(seq);
    const wamid = `wamid.${randomBytes(24).toString('base64')}`;
    const recipient = `4477009${String(message % 100_000).padStart(5, '0')}`;
    const steps = message % 10 === 9 ? ['failed'] : ['sent', 'delivered', 'read'];
    for (const status of steps) {
      if (statuses.length === count) {
        break;
      }
      const value = {
        messaging_product: 'whatsapp',
        metadata: {
          display_phone_number: '15550783881',
          phone_number_id: benchPhoneNumberId(seq, 0, numbersPerWaba),
        },
        ...(status === 'failed'
          ? {}
          : { contacts: [{ profile: { name: 'Customer' }, wa_id: recipient, user_id: `GB.${message}` }] }),
        statuses: [
          {
            id: wamid,
            status,
            timestamp: String(time),
            recipient_id: recipient,
            ...(status === 'failed' ? {} : { recipient_user_id: `GB.${message}` }),
            ...(status === 'delivered'
              ? { pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' } }
              : {}),
            ...(status === 'failed'
              ? {
                  errors: [
                    {
                      code: 131049,
                      title: 'This message was not delivered to maintain healthy ecosystem engagement.',
                      message: 'This message was not delivered to maintain healthy ecosystem engagement.',
                      error_data: {
                        details:
                          'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
                      },
                      href: '/documentation/business-messaging/whatsapp/support/error-codes',
                    },
                  ],
                }
              : {}),
          },
        ],
      };
      const body = JSON.stringify(simulator.buildWebhook('messages', value, wabaId, null));
      statuses.push({ wabaId, body, signature: simulator.signWebhook(body) });
    }
  }
  return statuses;
}
