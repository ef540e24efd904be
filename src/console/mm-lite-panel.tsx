/** The "Set up MM Lite" panel: the guide's three steps, their states and the why, as a modal dialog. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { call, messageOf, type MmLitePanel, type MmLiteStep } from './api';
import type { Context } from './main';
import { SimulateMetaMenu } from './simulate-menu';
import { Link, MmLiteDot, Problem, Time, useLive, useModalDialog } from './ui';

const STEP_TITLES: Record<MmLiteStep['key'], string> = {
  ACCEPT_TERMS: 'Accept the terms',
  REFRESH_STATUS: 'Refresh status',
  SWITCH_NUMBER_CHANNEL: "Switch a number's channel",
};

const STATE_LABELS: Record<MmLiteStep['state'], string> = { DONE: 'Done', TODO: 'To do', BLOCKED: 'Not yet' };

/** Opens over the page; Escape or Close closes it and gives focus back to the button that opened it. */
export function MmLitePanelDialog({
  waba,
  context,
  onClose,
  onChanged,
}: {
  waba: { wabaId: string; name: string };
  context: Context;
  onClose: () => void;
  onChanged?: () => void;
}): JSX.Element {
  const dialog = useModalDialog();
  const [panel, setPanel] = useState<MmLitePanel | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = () =>
    call<MmLitePanel>('GET', `/api/v1/wabas/${waba.wabaId}/mm-lite`)
      .then(setPanel)
      .catch((failure: unknown) => setError(messageOf(failure)));
  useEffect(() => void load(), [waba.wabaId]);
  useLive((frame) => {
    if (frame.kind === 'poll' || frame.wabaId === waba.wabaId) {
      void load();
    }
  });

  const act = async (action: 'setup' | 'refresh') => {
    setBusy(action);
    setError(null);
    try {
      setPanel(await call<MmLitePanel>('POST', `/api/v1/wabas/${waba.wabaId}/mm-lite/${action}`));
      onChanged?.();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(null);
    }
  };

  return (
    <dialog ref={dialog} class="panel" aria-labelledby="mm-lite-title" onClose={onClose}>
      <div class="panel-head">
        <h2 id="mm-lite-title">Set up MM Lite · {waba.name}</h2>
        <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
      <p class="lede">
        MM Lite is Meta’s sending channel for marketing templates. It reuses this WABA, its numbers and templates;
        replies and status receipts still go through Cloud API.
      </p>
      <Problem message={error} />
      {!panel ? (
        <p class="loading">Loading the onboarding status…</p>
      ) : (
        <>
          <p class="panel-status">
            MM Lite: <MmLiteDot status={panel.status} />
          </p>
          <p class="panel-templates" data-approved-marketing-templates={panel.approvedMarketingTemplates}>
            {panel.approvedMarketingTemplates === 0
              ? 'No approved marketing template yet: MM Lite sends marketing templates only.'
              : `${panel.approvedMarketingTemplates} approved marketing template${panel.approvedMarketingTemplates === 1 ? '' : 's'} can be sent through MM Lite.`}
          </p>
          {panel.status === null ? (
            <div class="start">
              <p>Onboarding has not started for this WABA. Start it, then work through the three steps below.</p>
              <button type="button" disabled={busy !== null} onClick={() => void act('setup')}>
                {busy === 'setup' ? 'Starting…' : 'Start MM Lite setup'}
              </button>
            </div>
          ) : null}
          <ol class="steps">
            {panel.steps.map((step, index) => (
              <li key={step.key} class={`step step-${step.state.toLowerCase()}`} data-step={step.key}>
                <div class="step-head">
                  <h3>
                    {index + 1}. {STEP_TITLES[step.key]}
                  </h3>
                  <span class={`state state-${step.state.toLowerCase()}`}>{STATE_LABELS[step.state]}</span>
                </div>
                <p>{step.detail}</p>
                <StepBody step={step} panel={panel} busy={busy} onRefresh={() => void act('refresh')} />
              </li>
            ))}
          </ol>
          <aside class="notice" aria-label="Region notice">
            <strong>Restricted in some regions.</strong> {panel.regionNotice}
          </aside>
          {context.config.sandbox ? <SimulateMetaMenu wabaId={waba.wabaId} numbers={panel.numbers} /> : null}
        </>
      )}
    </dialog>
  );
}

function StepBody({
  step,
  panel,
  busy,
  onRefresh,
}: {
  step: MmLiteStep;
  panel: MmLitePanel;
  busy: string | null;
  onRefresh: () => void;
}): JSX.Element | null {
  switch (step.key) {
    case 'ACCEPT_TERMS':
      return (
        <p class="step-extra">
          Meta’s terms status: <strong>{panel.termsStatus ?? 'not signed'}</strong>
          {step.actionUrl ? (
            <>
              {' · '}
              <a href={step.actionUrl} target="_blank" rel="noopener noreferrer">
                Open Meta Business Manager
              </a>
            </>
          ) : null}
        </p>
      );
    case 'REFRESH_STATUS':
      return (
        <div class="step-extra">
          <button type="button" disabled={busy !== null || panel.status === null} onClick={onRefresh}>
            {busy === 'refresh' ? 'Refreshing…' : 'Refresh status'}
          </button>
          <p>
            Last checked: <Time iso={panel.lastCheckedAt} />
            {panel.status !== 'ONBOARDED' ? (
              <>
                {' · '}Meta’s value: <code class="raw">{panel.metaStatus ?? 'none'}</code>
              </>
            ) : null}
          </p>
          {panel.status === 'NOT_ONBOARDED' && panel.metaStatus?.startsWith('PENDING') ? (
            <p class="hint">
              Meta is still setting up MM Lite for this WABA, which can take some time: try again later.
            </p>
          ) : null}
        </div>
      );
    case 'SWITCH_NUMBER_CHANNEL':
      return panel.status === 'ONBOARDED' ? (
        <p class="step-extra">
          <Link class="button" href={`/phone-numbers?wabaId=${panel.wabaId}`}>
            Switch a number on the Phone numbers page
          </Link>
        </p>
      ) : null;
  }
}
