/** WhatsApp Assets → WABA Accounts: the guide's columns, filters, search and pages. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { call, messageOf, query, type Page, type WabaRow } from './api';
import type { Context } from './main';
import { MmLitePanelDialog } from './mm-lite-panel';
import { Link, MmLiteDot, navigate, Pager, Problem, StatusBadge, useLive } from './ui';

const PAGE_SIZE = 20;

/** The list of the organization's WABAs. */
export function WabasPage({ context }: { context: Context }): JSX.Element {
  const [status, setStatus] = useState('');
  const [mmLite, setMmLite] = useState('');
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  // Cursors of the pages before the current one, and the current one's.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<WabaRow> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [panelFor, setPanelFor] = useState<WabaRow | null>(null);
  const latest = useRef(0);

  const cursor = cursors[cursors.length - 1];
  const load = () => {
    const ticket = ++latest.current;
    call<Page<WabaRow>>(
      'GET',
      `/api/v1/wabas${query({ status, mmLiteStatus: mmLite, q, limit: String(PAGE_SIZE), cursor })}`,
    )
      .then((answer) => {
        // An older answer arriving late must not overwrite a newer one.
        if (ticket === latest.current) {
          setPage(answer);
          setError(null);
        }
      })
      .catch((failure: unknown) => ticket === latest.current && setError(messageOf(failure)));
  };

  useEffect(load, [status, mmLite, q, cursor]);
  useLive(() => load());

  // Search as the user types, once they pause (and only when the text changed: going back to page 1 just
  // after the page opened would undo a Next page clicked meanwhile).
  useEffect(() => {
    if (search.trim() === q) {
      return;
    }
    const timer = setTimeout(() => {
      setQ(search.trim());
      setCursors([null]);
    }, 250);
    return () => clearTimeout(timer);
  }, [search]);

  const filtered = status !== '' || mmLite !== '' || q !== '';
  return (
    <section aria-labelledby="wabas-title">
      <div class="page-head">
        <h1 id="wabas-title">WABA Accounts</h1>
        <p class="lede">
          The WhatsApp Business Accounts connected to {context.organization.name}. A WABA arrives with its first phone
          number, added on the <Link href="/phone-numbers">Phone numbers</Link> page.
        </p>
      </div>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(event) => {
              setStatus(event.currentTarget.value);
              setCursors([null]);
            }}
          >
            <option value="">All</option>
            <option value="ACTIVE">Active</option>
            <option value="DISABLED">Disabled</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-mm-lite">MM Lite</label>
          <select
            id="filter-mm-lite"
            value={mmLite}
            onChange={(event) => {
              setMmLite(event.currentTarget.value);
              setCursors([null]);
            }}
          >
            <option value="">All</option>
            <option value="ONBOARDED">Onboarded</option>
            <option value="NOT_ONBOARDED">Not onboarded</option>
            <option value="NOT_STARTED">Not started</option>
          </select>
        </div>
        <div class="field grow">
          <label for="filter-q">Search by name or WABA ID</label>
          <input id="filter-q" type="search" value={search} onInput={(event) => setSearch(event.currentTarget.value)} />
        </div>
      </form>
      <Problem message={error} />
      {!page ? (
        <p class="loading">Loading WABA accounts…</p>
      ) : page.data.length === 0 && cursors.length === 1 ? (
        <div class="empty">
          {filtered ? (
            <p>No WABA account matches these filters.</p>
          ) : (
            <>
              <p>
                <strong>No WABA accounts yet.</strong> WABA accounts are not added by hand: one is connected together
                with a phone number when you run Meta’s Embedded Signup.
              </p>
              <Link class="button" href="/phone-numbers?add=1">
                Add phone number
              </Link>
            </>
          )}
        </div>
      ) : (
        <>
          <table class="list wabas">
            <caption class="visually-hidden">WABA accounts</caption>
            <thead>
              <tr>
                <th scope="col">WABA ID</th>
                <th scope="col">Account Name</th>
                <th scope="col">Status</th>
                <th scope="col">MM Lite</th>
                <th scope="col">Associated Numbers</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((waba) => (
                <tr
                  key={waba.wabaId}
                  data-waba-id={waba.wabaId}
                  class="clickable"
                  onClick={(event) => {
                    if (!(event.target as HTMLElement).closest('a,button,[tabindex]')) {
                      navigate(`/wabas/${waba.wabaId}`);
                    }
                  }}
                >
                  <td data-label="WABA ID" class="mono">
                    {waba.wabaId}
                  </td>
                  <td data-label="Account Name">
                    <Link href={`/wabas/${waba.wabaId}`}>{waba.name}</Link>
                  </td>
                  <td data-label="Status">
                    <StatusBadge
                      status={waba.status}
                      statusReason={waba.statusReason}
                      connection={waba.connection}
                      criticalAlert={waba.criticalAlert}
                    />
                  </td>
                  <td data-label="MM Lite">
                    <MmLiteDot status={waba.mmLiteStatus} />
                  </td>
                  <td data-label="Associated Numbers" class="num">
                    {waba.associatedNumbers}
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      class="secondary"
                      aria-label={`Set up MM Lite for ${waba.name}`}
                      onClick={() => setPanelFor(waba)}
                    >
                      Set up MM Lite
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager cursors={cursors} nextCursor={page.nextCursor} onChange={setCursors} />
        </>
      )}
      {panelFor ? (
        <MmLitePanelDialog waba={panelFor} context={context} onClose={() => setPanelFor(null)} onChanged={load} />
      ) : null}
    </section>
  );
}
