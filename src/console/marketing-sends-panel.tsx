/** A number's recent marketing sends: the last 24 h's counts, the top failure reasons and the latest sends. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { call, messageOf, query, type Page } from './api';
import './marketing-sends.css';
import { Problem, Time, useLive, useModalDialog } from './ui';

export type MarketingMessageStatus = 'UNKNOWN' | 'ACCEPTED' | 'SENT' | 'DELIVERED' | 'READ' | 'FAILED';

/** `MarketingMessage` of the API, as far as the panel reads it. */
export interface MarketingMessage {
  id: string;
  messageId: string | null;
  template: { name: string; language: string; category: string | null };
  recipient: { phone?: string; bsuid?: string; countryCallingCode: string | null };
  status: MarketingMessageStatus;
  failure: { code: number; title: string | null; reason: string; action: string } | null;
  sentAt: string;
}

/** `GET …/marketing-messages/summary`. */
export interface MarketingSendSummary {
  since: string;
  until: string;
  total: number;
  byStatus: Record<MarketingMessageStatus, number>;
  topFailures: Array<{ code: number; title: string | null; reason: string; action: string; count: number }>;
}

/** The latest sends the panel lists; the API pages further. */
const LATEST = 20;

const STATUS_LABELS: Record<MarketingMessageStatus, string> = {
  UNKNOWN: 'Unknown',
  ACCEPTED: 'Accepted',
  SENT: 'Sent',
  DELIVERED: 'Delivered',
  READ: 'Read',
  FAILED: 'Failed',
};

const STATUS_TIPS: Record<MarketingMessageStatus, string> = {
  UNKNOWN: 'The answer to the send was lost: Meta may have it. Its status webhook will say; do not resend.',
  ACCEPTED: 'Meta accepted it; no status from Meta yet.',
  SENT: 'Meta sent it to WhatsApp.',
  DELIVERED: 'Delivered to the recipient’s phone.',
  READ: 'The recipient read it.',
  FAILED: 'Meta could not deliver it; the reason says why.',
};

/** Who a send went to, showing only the last four characters: the panel is no place for whole numbers. */
export function maskedRecipient(recipient: MarketingMessage['recipient']): string {
  const value = recipient.phone ?? recipient.bsuid ?? '';
  return `•••• ${value.slice(-4)}`;
}

/** Opens over the page; Escape or Close closes it and gives focus back to the button that opened it. */
export function MarketingSendsDialog({
  number,
  onClose,
}: {
  number: { phoneNumberId: string; displayPhoneNumber: string };
  onClose: () => void;
}): JSX.Element {
  const dialog = useModalDialog();
  const [summary, setSummary] = useState<MarketingSendSummary | null>(null);
  const [sends, setSends] = useState<MarketingMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);
  const base = `/api/v1/phone-numbers/${number.phoneNumberId}/marketing-messages`;

  const load = () => {
    const ticket = ++latest.current;
    Promise.all([
      call<MarketingSendSummary>('GET', `${base}/summary`),
      call<Page<MarketingMessage>>('GET', `${base}${query({ limit: String(LATEST) })}`),
    ])
      .then(([counts, page]) => {
        if (ticket === latest.current) {
          setSummary(counts);
          setSends(page.data);
          setError(null);
        }
      })
      .catch((failure: unknown) => ticket === latest.current && setError(messageOf(failure)));
  };
  useEffect(load, [number.phoneNumberId]);
  // Statuses arrive by webhook: a poll tick brings them in.
  useLive(load);

  return (
    <dialog ref={dialog} class="panel sends-panel" aria-labelledby="sends-title" onClose={onClose}>
      <div class="panel-head">
        <h2 id="sends-title">Marketing sends · {number.displayPhoneNumber}</h2>
        <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
      <Problem message={error} />
      <section class="sends-summary" aria-labelledby="sends-summary-title">
        <h3 id="sends-summary-title">Last 24 hours</h3>
        {!summary ? (
          <p class="loading">Loading the counts…</p>
        ) : (
          <>
            <dl class="sends-counts">
              <div>
                <dt>Total</dt>
                <dd data-count="total">{summary.total}</dd>
              </div>
              {(Object.keys(STATUS_LABELS) as MarketingMessageStatus[]).map((status) => (
                <div key={status}>
                  <dt>{STATUS_LABELS[status]}</dt>
                  <dd data-count={status}>{summary.byStatus[status]}</dd>
                </div>
              ))}
            </dl>
            {summary.topFailures.length > 0 ? (
              <ul class="sends-failures" aria-label="Top failure reasons">
                {summary.topFailures.map((failure) => (
                  <li key={failure.code}>
                    <strong>
                      {failure.count} × #{failure.code}
                    </strong>{' '}
                    {failure.reason} {failure.action}
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        )}
      </section>
      <section aria-labelledby="sends-latest-title">
        <h3 id="sends-latest-title">Latest sends</h3>
        {!sends ? (
          <p class="loading">Loading the sends…</p>
        ) : sends.length === 0 ? (
          <p class="empty">No marketing sends from this number yet.</p>
        ) : (
          <div class="sends-scroll">
            <table class="list sends">
              <caption class="visually-hidden">Latest marketing sends of {number.displayPhoneNumber}</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Template</th>
                  <th scope="col">Recipient</th>
                  <th scope="col">Status</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {sends.map((send) => (
                  <tr key={send.id} data-send-id={send.id}>
                    <td data-label="Time">
                      <Time iso={send.sentAt} />
                    </td>
                    <td data-label="Template">
                      {send.template.name} <span class="hint">({send.template.language})</span>
                    </td>
                    <td data-label="Recipient" class="mono">
                      <span aria-label={`recipient ending ${maskedRecipient(send.recipient).slice(-4)}`}>
                        {maskedRecipient(send.recipient)}
                      </span>
                    </td>
                    <td data-label="Status">
                      <span class={`badge send-${send.status.toLowerCase()}`} title={STATUS_TIPS[send.status]}>
                        {STATUS_LABELS[send.status]}
                      </span>
                    </td>
                    <td data-label="Why" class="send-why">
                      {send.failure ? (
                        <>
                          <p>{send.failure.reason}</p>
                          <p class="hint">{send.failure.action}</p>
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </dialog>
  );
}
