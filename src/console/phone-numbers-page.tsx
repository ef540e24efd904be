/** WhatsApp Assets → Phone numbers: the numbers, their registration, and each one's sending channel. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { call, messageOf, query, type Page, type PhoneNumber, type SendingChannel, type WabaRow } from './api';
import type { Context } from './main';
import { MarketingSendsDialog } from './marketing-sends-panel';
import { AddPhoneNumber } from './signup';
import { reasonSentence } from './status-text';
import { Link, navigate, Pager, Problem, useLive } from './ui';

const PAGE_SIZE = 50;

const CHANNELS: { value: SendingChannel; label: string }[] = [
  { value: 'CLOUD_API', label: 'Cloud API' },
  { value: 'MM_LITE', label: 'MM Lite' },
];

/** The numbers of the organization, or of one WABA (`?wabaId=`). */
export function PhoneNumbersPage({
  wabaId,
  openAdd,
  context,
}: {
  wabaId: string | null;
  openAdd: boolean;
  context: Context;
}): JSX.Element {
  const [numbers, setNumbers] = useState<PhoneNumber[] | null>(null);
  const [wabas, setWabas] = useState<WabaRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  // Per number: the API's refusal of its last switch (the problem's detail) or of its registration retry.
  const [refusals, setRefusals] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [sendsOf, setSendsOf] = useState<PhoneNumber | null>(null);
  const latest = useRef(0);
  // Cursors of the pages before the current one, and the current one's.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];

  const load = () => {
    const ticket = ++latest.current;
    call<Page<PhoneNumber>>('GET', `/api/v1/phone-numbers${query({ wabaId, limit: String(PAGE_SIZE), cursor })}`)
      .then(async (phoneNumbers) => [phoneNumbers, await wabasOf(phoneNumbers.data)] as const)
      .then(([phoneNumbers, wabaRows]) => {
        if (ticket === latest.current) {
          setNumbers(phoneNumbers.data);
          setNextCursor(phoneNumbers.nextCursor);
          setWabas(wabaRows);
          setError(null);
          // A refusal stands until the WABA changes so that MM Lite is available: then the switch opens again.
          const eligible = new Set(wabaRows.filter((row) => channelHint(row) === null).map((row) => row.wabaId));
          setRefusals((all) =>
            Object.fromEntries(
              Object.entries(all).filter(([id]) => {
                const number = phoneNumbers.data.find((item) => item.phoneNumberId === id);
                return !number || !eligible.has(number.wabaId);
              }),
            ),
          );
        }
      })
      .catch((failure: unknown) => ticket === latest.current && setError(messageOf(failure)));
  };
  useEffect(load, [wabaId, cursor]);
  useEffect(() => setCursors([null]), [wabaId]);
  useLive((frame) => {
    if (frame.kind === 'poll' || !wabaId || frame.wabaId === wabaId) {
      load();
    }
  });

  const wabaOf = (id: string) => wabas.find((waba) => waba.wabaId === id);

  // A change to one number: its row takes the API's answer, or shows the API's refusal under it.
  const change = async (number: PhoneNumber, request: () => Promise<PhoneNumber>) => {
    setBusy(number.phoneNumberId);
    try {
      const updated = await request();
      setNumbers(
        (list) => list?.map((item) => (item.phoneNumberId === updated.phoneNumberId ? updated : item)) ?? null,
      );
      setRefusals(({ [number.phoneNumberId]: _gone, ...rest }) => rest);
    } catch (failure) {
      setRefusals((all) => ({ ...all, [number.phoneNumberId]: messageOf(failure) }));
    } finally {
      setBusy(null);
    }
  };
  const switchChannel = (number: PhoneNumber, sendingChannel: SendingChannel) =>
    change(number, () => call('PATCH', `/api/v1/phone-numbers/${number.phoneNumberId}`, { sendingChannel }));
  const retryRegistration = (number: PhoneNumber) =>
    change(number, () => call('POST', `/api/v1/phone-numbers/${number.phoneNumberId}/register`));

  return (
    <section aria-labelledby="numbers-title">
      <div class="page-head">
        <h1 id="numbers-title">Phone numbers</h1>
        <AddPhoneNumber
          config={context.config}
          startOpen={openAdd}
          onConnected={(message, newWabaId) => {
            setAdded(message);
            navigate(`/phone-numbers?wabaId=${newWabaId}`, { replace: true });
            load();
          }}
        />
      </div>
      {added ? (
        <p class="ok" role="status">
          {added}
        </p>
      ) : null}
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="filter-waba">WABA</label>
          <select
            id="filter-waba"
            value={wabaId ?? ''}
            onChange={(event) => {
              const value = event.currentTarget.value;
              navigate(value ? `/phone-numbers?wabaId=${value}` : '/phone-numbers');
            }}
          >
            <option value="">All WABA accounts</option>
            {wabaId && !wabaOf(wabaId) ? <option value={wabaId}>{wabaId}</option> : null}
            {wabas.map((waba) => (
              <option key={waba.wabaId} value={waba.wabaId}>
                {waba.name} ({waba.wabaId})
              </option>
            ))}
          </select>
        </div>
      </form>
      <Problem message={error} />
      {!numbers ? (
        <p class="loading">Loading phone numbers…</p>
      ) : numbers.length === 0 ? (
        <div class="empty">
          <p>
            No phone numbers {wabaId ? 'in this WABA account' : 'yet'}. Click <strong>Add phone number</strong> to run
            Meta’s Embedded Signup: the number is added with the WABA account it belongs to.
          </p>
        </div>
      ) : (
        <table class="list numbers">
          <caption class="visually-hidden">Phone numbers</caption>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Verified name</th>
              <th scope="col">WABA</th>
              <th scope="col">Quality</th>
              <th scope="col">Status</th>
              <th scope="col">Registration</th>
              <th scope="col">Sending channel</th>
              <th scope="col">Marketing sends</th>
            </tr>
          </thead>
          <tbody>
            {numbers.map((number) => {
              const waba = wabaOf(number.wabaId);
              const refusal = refusals[number.phoneNumberId];
              const hint = waba ? channelHint(waba) : null;
              return (
                <tr key={number.phoneNumberId} data-phone-number-id={number.phoneNumberId}>
                  <td data-label="Number" class="mono">
                    {number.displayPhoneNumber}
                  </td>
                  <td data-label="Verified name">{number.verifiedName ?? '—'}</td>
                  <td data-label="WABA">
                    <Link href={`/wabas/${number.wabaId}`}>{waba?.name ?? number.wabaId}</Link>
                  </td>
                  <td data-label="Quality">
                    <span class={`quality quality-${(number.qualityRating ?? 'unknown').toLowerCase()}`}>
                      <span class="dot" aria-hidden="true" />
                      {number.qualityRating ?? 'Unknown'}
                    </span>
                  </td>
                  <td data-label="Status">{number.status ?? '—'}</td>
                  <td data-label="Registration">
                    <span class={`registration registration-${number.registration.status.toLowerCase()}`}>
                      {number.registration.status}
                    </span>
                    {number.registration.status === 'FAILED' ? (
                      <>
                        {number.registration.error ? <p class="hint">{number.registration.error.message}</p> : null}
                        <button
                          type="button"
                          class="secondary"
                          disabled={busy === number.phoneNumberId}
                          onClick={() => void retryRegistration(number)}
                        >
                          Retry registration
                        </button>
                      </>
                    ) : null}
                  </td>
                  <td data-label="Sending channel">
                    <div
                      class="segmented"
                      role="group"
                      aria-label={`Sending channel of ${number.displayPhoneNumber}`}
                      aria-describedby={refusal || hint ? `why-${number.phoneNumberId}` : undefined}
                    >
                      {CHANNELS.map((channel) => (
                        <button
                          key={channel.value}
                          type="button"
                          aria-pressed={number.sendingChannel === channel.value}
                          disabled={
                            busy === number.phoneNumberId ||
                            (channel.value === 'MM_LITE' &&
                              number.sendingChannel !== 'MM_LITE' &&
                              Boolean(refusal || hint))
                          }
                          onClick={() =>
                            number.sendingChannel !== channel.value && void switchChannel(number, channel.value)
                          }
                        >
                          {channel.label}
                        </button>
                      ))}
                    </div>
                    {refusal ? (
                      <p class="problem" role="alert" id={`why-${number.phoneNumberId}`}>
                        {refusal}
                      </p>
                    ) : hint && number.sendingChannel !== 'MM_LITE' ? (
                      <p class="hint" id={`why-${number.phoneNumberId}`}>
                        {hint}
                      </p>
                    ) : null}
                  </td>
                  <td data-label="Marketing sends">
                    <button
                      type="button"
                      class="secondary"
                      aria-label={`Marketing sends of ${number.displayPhoneNumber}`}
                      onClick={() => setSendsOf(number)}
                    >
                      Sends
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {numbers && (cursors.length > 1 || nextCursor) ? (
        <Pager cursors={cursors} nextCursor={nextCursor} onChange={setCursors} />
      ) : null}
      {sendsOf ? <MarketingSendsDialog number={sendsOf} onClose={() => setSendsOf(null)} /> : null}
    </section>
  );
}

/**
 * The organization's WABAs for the filter (the first page), and those of the numbers shown that are not on it,
 * read one by one: a number's WABA name and MM Lite eligibility must not depend on the list's first page.
 */
async function wabasOf(numbers: PhoneNumber[]): Promise<WabaRow[]> {
  const first = await call<Page<WabaRow>>('GET', '/api/v1/wabas?limit=100');
  const known = new Set(first.data.map((waba) => waba.wabaId));
  const missing = [...new Set(numbers.map((number) => number.wabaId))].filter((id) => !known.has(id));
  const more = await Promise.all(missing.map((id) => call<WabaRow>('GET', `/api/v1/wabas/${id}`)));
  return [...first.data, ...more];
}

/**
 * Why MM Lite is not available for this WABA's numbers, shown beside the switch it disables (the same rule as
 * the API's 409, whose own sentence replaces it when a switch is refused anyway, e.g. from a stale page).
 */
function channelHint(waba: WabaRow): string | null {
  if (waba.status === 'DISABLED') {
    const why = waba.statusReason ? ` ${reasonSentence(waba.statusReason)}` : '';
    return `MM Lite is not available while this WABA account is disabled.${why}`;
  }
  if (waba.mmLiteStatus !== 'ONBOARDED') {
    return 'MM Lite becomes available once this WABA account is onboarded (Set up MM Lite on WABA Accounts).';
  }
  return null;
}
