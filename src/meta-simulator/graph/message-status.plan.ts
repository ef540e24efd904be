import type { RecipientOutcome, StatusWebhookSettings } from 'src/meta-simulator/meta-simulator.types';

/** A failure Meta reports after accepting a send: `statuses[].errors[0]` of a `failed` status (§5.7). */
export interface AsyncFailure {
  code: number;
  title: string;
  details: string;
}

/** The failure outcomes, their codes and Meta's wording. */
export const ASYNC_FAILURES: Record<'per_user_limit' | 'opted_out' | 'experiment' | 'undeliverable', AsyncFailure> = {
  per_user_limit: {
    code: 131049,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  opted_out: {
    code: 131050,
    title:
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    details: 'The recipient has opted out of marketing messages from this business.',
  },
  experiment: {
    code: 130472,
    title: "User's number is part of an experiment",
    details: 'Failed to send message because this user’s phone number is part of an experiment.',
  },
  // Not in our reference; the wording Meta's error-code table and status webhooks use (UNCONFIRMED, README).
  undeliverable: {
    code: 131026,
    title: 'Message undeliverable',
    details: 'Message Undeliverable.',
  },
};

/** One status webhook of a send, as planned at acceptance. */
export interface PlannedStatus {
  status: 'sent' | 'delivered' | 'read' | 'failed';
  /** From the send's acceptance; never less than the previous status's. */
  delayMs: number;
  /** Carries `pricing` (and, before v24.0, `conversation`). */
  billed: boolean;
  failure?: AsyncFailure;
}

/** The most a delay is stretched by its jitter (a fraction of it), so that sends do not march in lockstep. */
const JITTER = 0.1;

/** The order of the lifecycle statuses per outcome; out-of-order outcomes deliver them as Meta sometimes does. */
const ORDERS: Partial<Record<RecipientOutcome, Array<'sent' | 'delivered' | 'read'>>> = {
  delivered: ['sent', 'delivered'],
  read_before_delivered: ['sent', 'read', 'delivered'],
  sent_last: ['delivered', 'read', 'sent'],
};

/**
 * The status webhooks of one accepted send, in delivery order (§5.7, §6.8): a failure alone (131049,
 * 131050, 130472 for marketing templates; 131026 for any message), else with mode `all` the lifecycle of
 * the recipient's outcome. Delays follow `settings.delaysMs` slot by slot (first delivered = `sent` delay,
 * whatever its status), each stretched by up to 10 % of itself. Before v24.0 `sent` and `delivered` carry
 * conversation and pricing; from v24.0 only the first of delivered/read carries pricing.
 */
export function planStatuses(
  settings: StatusWebhookSettings,
  send: { outcome: RecipientOutcome | undefined; marketing: boolean; version: number },
  random: () => number = Math.random,
): PlannedStatus[] {
  if (settings.mode === 'none') {
    return [];
  }
  const { outcome } = send;
  const jittered = (ms: number): number => ms + Math.floor(random() * ms * JITTER);
  if (
    outcome === 'undeliverable' ||
    (send.marketing && (outcome === 'per_user_limit' || outcome === 'opted_out' || outcome === 'experiment'))
  ) {
    return [
      { status: 'failed', delayMs: jittered(settings.delaysMs.sent), billed: false, failure: ASYNC_FAILURES[outcome] },
    ];
  }
  if (settings.mode !== 'all') {
    return [];
  }
  const order = (outcome && ORDERS[outcome]) ?? ['sent', 'delivered', 'read'];
  const slots = [settings.delaysMs.sent, settings.delaysMs.delivered, settings.delaysMs.read];
  let previous = 0;
  let billedAfterSent = false;
  return order.map((status, index) => {
    previous = Math.max(previous, jittered(slots[index]));
    let billed: boolean;
    if (send.version < 24) {
      billed = status !== 'read';
    } else {
      billed = status !== 'sent' && !billedAfterSent;
      billedAfterSent ||= billed;
    }
    return { status, delayMs: previous, billed };
  });
}
