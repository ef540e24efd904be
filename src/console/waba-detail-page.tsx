/** One WABA: the fields Meta reports, its health, and its audit trail with API, WEBHOOK and SYNC apart. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import {
  call,
  messageOf,
  query,
  type AuditEvent,
  type Page,
  type PhoneNumber,
  type WabaAlert,
  type WabaDetail,
} from './api';
import type { Context } from './main';
import { MmLitePanelDialog } from './mm-lite-panel';
import { SimulateMetaMenu } from './simulate-menu';
import { alertLabel } from './status-text';
import { Link, MmLiteDot, Problem, StatusBadge, Time, useLive } from './ui';

const SOURCES = ['API', 'WEBHOOK', 'SYNC'] as const;
const SOURCE_HINTS: Record<(typeof SOURCES)[number], string> = {
  API: 'changed through this API (a person or a program using a key)',
  WEBHOOK: 'reported by Meta in a signed webhook',
  SYNC: 'found by re-reading Meta',
};

/** The detail page of a WABA (`/wabas/{wabaId}`). */
export function WabaDetailPage({ wabaId, context }: { wabaId: string; context: Context }): JSX.Element {
  const [waba, setWaba] = useState<WabaDetail | null>(null);
  const [numbers, setNumbers] = useState<PhoneNumber[]>([]);
  const [audit, setAudit] = useState<AuditEvent[] | null>(null);
  const [source, setSource] = useState('');
  const [error, setError] = useState<string | null>(null);
  // A refused action's sentence stays until the next action: a live refresh (which clears `error`) must not
  // wipe it, e.g. the connection change that a refused re-sync itself causes.
  const [actionError, setActionError] = useState<string | null>(null);
  const [panelOpen, setPanelOpen] = useState(false);
  const [syncing, setSyncing] = useState(false);

  const load = () => {
    Promise.all([
      call<WabaDetail>('GET', `/api/v1/wabas/${wabaId}`),
      call<Page<PhoneNumber>>('GET', `/api/v1/phone-numbers${query({ wabaId, limit: '100' })}`),
      call<Page<AuditEvent>>('GET', `/api/v1/audit-events${query({ wabaId, limit: '100' })}`),
    ])
      .then(([detail, phoneNumbers, events]) => {
        setWaba(detail);
        setNumbers(phoneNumbers.data);
        setAudit(events.data);
        setError(null);
      })
      .catch((failure: unknown) => setError(messageOf(failure)));
  };
  useEffect(load, [wabaId]);
  useLive((frame) => {
    if (frame.kind === 'poll' || frame.wabaId === wabaId) {
      load();
    }
  });

  const resync = async () => {
    setSyncing(true);
    setActionError(null);
    try {
      setWaba(await call<WabaDetail>('POST', `/api/v1/wabas/${wabaId}/sync`));
      load();
    } catch (failure) {
      setActionError(messageOf(failure));
      load();
    } finally {
      setSyncing(false);
    }
  };

  if (!waba) {
    return (
      <section>
        <p>
          <Link href="/wabas">← WABA Accounts</Link>
        </p>
        <Problem message={error} />
        {error ? null : <p class="loading">Loading the WABA account…</p>}
      </section>
    );
  }
  const shown = (audit ?? []).filter((event) => source === '' || event.source === source);
  return (
    <section aria-labelledby="waba-title">
      <p>
        <Link href="/wabas">← WABA Accounts</Link>
      </p>
      <div class="page-head">
        <h1 id="waba-title">{waba.name}</h1>
        <div class="button-row">
          <button type="button" onClick={() => setPanelOpen(true)}>
            Set up MM Lite
          </button>
          <Link class="button secondary" href={`/phone-numbers?wabaId=${wabaId}`}>
            Phone numbers
          </Link>
          <button type="button" class="secondary" disabled={syncing} onClick={() => void resync()}>
            {syncing ? 'Re-reading Meta…' : 'Re-sync from Meta'}
          </button>
        </div>
      </div>
      <Problem message={actionError} />
      <Problem message={error} />
      {context.config.sandbox ? <SimulateMetaMenu wabaId={wabaId} numbers={numbers} /> : null}
      <div class="detail-grid">
        <section class="card" aria-labelledby="fields-title">
          <h2 id="fields-title">From Meta</h2>
          <dl class="fields">
            <Field name="WABA ID" value={<span class="mono">{waba.wabaId}</span>} />
            <Field
              name="Status"
              value={
                <StatusBadge
                  status={waba.status}
                  statusReason={waba.statusReason}
                  connection={waba.connection}
                  criticalAlert={waba.criticalAlert}
                />
              }
            />
            <Field name="MM Lite" value={<MmLiteDot status={waba.mmLiteStatus} />} />
            <Field name="Associated Numbers" value={waba.associatedNumbers} />
            <Field name="Account review" value={waba.accountReviewStatus} />
            <Field name="Business verification" value={waba.businessVerificationStatus} />
            <Field name="Business portfolio" value={waba.ownerBusinessId} />
            <Field name="Currency" value={waba.currency} />
            <Field name="Time zone" value={waba.timezoneId} />
            <Field name="Webhooks" value={waba.webhooks ? <Webhooks waba={waba} /> : null} />
            <Field name="Last synced" value={<Time iso={waba.lastSyncedAt} />} />
            <Field name="Connected" value={<Time iso={waba.createdAt} />} />
          </dl>
        </section>
        <section class="card" aria-labelledby="health-title">
          <h2 id="health-title">Health</h2>
          <Health health={waba.health} />
          <Alerts alerts={waba.alerts} numbers={numbers} />
        </section>
      </div>
      <section aria-labelledby="audit-title" class="audit">
        <div class="page-head">
          <h2 id="audit-title">Audit trail</h2>
          <div class="segmented" role="group" aria-label="Show changes from">
            {['', ...SOURCES].map((value) => (
              <button key={value} type="button" aria-pressed={source === value} onClick={() => setSource(value)}>
                {value === '' ? 'All' : value}
              </button>
            ))}
          </div>
        </div>
        <p class="hint">
          {SOURCES.map((name) => (
            <span key={name} class="legend">
              <span class={`source source-${name.toLowerCase()}`}>{name}</span> {SOURCE_HINTS[name]}
            </span>
          ))}
        </p>
        {shown.length === 0 ? (
          <p class="empty">No changes recorded{source ? ` from ${source}` : ''}.</p>
        ) : (
          <table class="list audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Source</th>
                <th scope="col">What</th>
                <th scope="col">Who</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((event) => (
                <tr key={event.id} data-source={event.source}>
                  <td data-label="When">
                    <Time iso={event.occurredAt} />
                  </td>
                  <td data-label="Source">
                    <span class={`source source-${event.source.toLowerCase()}`}>{event.source}</span>
                  </td>
                  <td data-label="What">{event.type}</td>
                  <td data-label="Who">{event.actor ?? 'Meta'}</td>
                  <td data-label="Change" class="change">
                    <code>{compact(event.before)}</code> → <code>{compact(event.after)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {panelOpen ? (
        <MmLitePanelDialog waba={waba} context={context} onClose={() => setPanelOpen(false)} onChanged={load} />
      ) : null}
    </section>
  );
}

const WEBHOOKS_TEXT: Record<'SUBSCRIBED' | 'MISSING' | 'OVERRIDDEN', string> = {
  SUBSCRIBED: 'Subscribed: Meta delivers this account’s webhooks here',
  MISSING: 'Missing: the app’s subscription was removed, so no message or status webhooks arrive',
  OVERRIDDEN: 'Overridden: Meta delivers this account’s webhooks to another URL',
};

/** Whether Meta delivers the WABA's webhooks to the platform, where they go instead, and as of when. */
function Webhooks({ waba }: { waba: WabaDetail }): JSX.Element | null {
  if (!waba.webhooks) {
    return null;
  }
  return (
    <span class={`webhooks webhooks-${waba.webhooks.toLowerCase()}`}>
      {WEBHOOKS_TEXT[waba.webhooks]}
      {waba.webhooks === 'OVERRIDDEN' && waba.webhooksOverrideUri ? (
        <>
          {': '}
          <span class="mono">{waba.webhooksOverrideUri}</span>
        </>
      ) : null}
      {waba.webhooksCheckedAt ? (
        <span class="hint">
          {' '}
          (checked <Time iso={waba.webhooksCheckedAt} />)
        </span>
      ) : null}
    </span>
  );
}

function Field({ name, value }: { name: string; value: JSX.Element | string | number | null }): JSX.Element {
  return (
    <>
      <dt>{name}</dt>
      <dd>{value ?? '—'}</dd>
    </>
  );
}

interface HealthEntity {
  entityType?: string;
  id?: string | null;
  canSendMessage?: string | null;
  errors?: { errorCode: number | null; errorDescription: string | null; possibleSolution: string | null }[];
}

/** `health_status` as the service keeps it: whether the account, its business and app can send, and why not. */
function Health({ health }: { health: Record<string, unknown> | null }): JSX.Element {
  if (!health) {
    return <p>Meta has not reported this account’s health yet.</p>;
  }
  const canSend = typeof health.canSendMessage === 'string' ? health.canSendMessage : null;
  const entities = Array.isArray(health.entities) ? (health.entities as HealthEntity[]) : [];
  return (
    <>
      <p>
        Can send messages: <strong class="health-value">{canSend ?? 'unknown'}</strong>
      </p>
      {entities.length > 0 ? (
        <ul class="entities">
          {entities.map((entity, index) => (
            <li key={index}>
              {entity.entityType ?? 'Entity'} {entity.id ?? ''}: <strong>{entity.canSendMessage ?? 'unknown'}</strong>
              {(entity.errors ?? []).map((error, errorIndex) => (
                <p key={errorIndex} class="hint">
                  {error.errorDescription ?? `Error ${error.errorCode ?? ''}`}
                  {error.possibleSolution ? ` ${error.possibleSolution}` : ''}
                </p>
              ))}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

const ENTITY_NAMES: Record<string, string> = {
  WABA: 'this account',
  BUSINESS: 'the business portfolio',
  CURRENT_STATUS_ID: 'the business profile of',
};

/** Meta's account alerts, active ones first (the API's order), each with what it is about. */
function Alerts({ alerts, numbers }: { alerts: WabaAlert[]; numbers: PhoneNumber[] }): JSX.Element {
  if (alerts.length === 0) {
    return <p class="hint">Meta has raised no account alert.</p>;
  }
  const about = (alert: WabaAlert): string => {
    const number = numbers.find((item) => item.phoneNumberId === alert.entityId)?.displayPhoneNumber;
    if (alert.entityType === 'PHONE_NUMBER') {
      return `number ${number ?? alert.entityId}`;
    }
    const name = ENTITY_NAMES[alert.entityType] ?? alert.entityType;
    return alert.entityType === 'CURRENT_STATUS_ID' ? `${name} ${number ?? alert.entityId}` : name;
  };
  return (
    <>
      <h3 id="alerts-title">Alerts</h3>
      <ul class="alerts" aria-labelledby="alerts-title">
        {alerts.map((alert) => (
          <li
            key={`${alert.entityType}-${alert.entityId}-${alert.type}`}
            class={`alert alert-${alert.severity.toLowerCase()}${alert.status === 'ACTIVE' ? '' : ' alert-over'}`}
          >
            <strong>{alert.severity}</strong> {alertLabel(alert.type)}
            {alert.status === 'ACTIVE' ? '' : ' (over)'} — {about(alert)}
            {alert.description ? <p class="hint">{alert.description}</p> : null}
            <span class="hint">
              <Time iso={alert.occurredAt} />
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

function compact(value: unknown): string {
  if (value === null || value === undefined) {
    return '—';
  }
  return JSON.stringify(value);
}
