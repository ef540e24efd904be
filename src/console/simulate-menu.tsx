/** Sandbox only: play Meta's side of a WABA, so every line of the guide can be walked on one machine. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';

import { call, messageOf } from './api';
import { Problem } from './ui';

const EVENTS = [
  { type: 'MM_LITE_TERMS_SIGNED', label: 'Sign MM Lite terms' },
  { type: 'MM_LITE_ONBOARDED', label: 'Onboard to MM Lite' },
  { type: 'DISABLE', label: 'Disable' },
  { type: 'SCHEDULE_FOR_DISABLE', label: 'Schedule for disable' },
  { type: 'REINSTATE', label: 'Reinstate' },
  { type: 'WEBHOOKS_UNSUBSCRIBED', label: 'Remove webhook subscription' },
  { type: 'WEBHOOKS_OVERRIDDEN', label: 'Override webhook URL' },
  { type: 'TEMPLATE_APPROVED', label: 'Approve a template' },
  { type: 'TEMPLATE_PAUSED', label: 'Pause a template' },
  { type: 'TEMPLATE_CATEGORY_CHANGED', label: 'Recategorise a template' },
] as const;

/** Meta's `account_alerts` types; the first three are about the portfolio, the others about a number. */
const ALERT_TYPES = [
  { type: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED', label: 'Limit increase deferred' },
  { type: 'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED', label: 'Limit increase denied (critical)' },
  { type: 'INCREASED_CAPABILITIES_ELIGIBILITY_NEED_MORE_INFO', label: 'Limit increase needs ID verification' },
  { type: 'OBA_APPROVED', label: 'OBA approved' },
  { type: 'OBA_REJECTED', label: 'OBA rejected (critical)' },
  { type: 'PROFILE_PICTURE_LOST', label: 'Profile picture lost' },
] as const;

/** The "Simulate Meta" menu of one WABA; each action changes the simulator and Meta's webhook follows. */
export function SimulateMetaMenu({
  wabaId,
  numbers,
}: {
  wabaId: string;
  numbers: { phoneNumberId: string; displayPhoneNumber: string }[];
}): JSX.Element {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [phone, setPhone] = useState('');
  const [quality, setQuality] = useState('YELLOW');
  const [alertType, setAlertType] = useState<string>(ALERT_TYPES[0].type);

  const send = async (body: Record<string, string>, label: string) => {
    setError(null);
    setDone(null);
    try {
      await call('POST', `/api/v1/sandbox/wabas/${wabaId}/events`, body);
      setDone(`${label}: done at Meta; its webhook is on the way.`);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <details class="simulate">
      <summary>Simulate Meta</summary>
      <div class="simulate-body">
        <p class="hint">
          Sandbox mode: these change the built-in Meta simulator, which then sends its signed webhook. Meta sends none
          for a removed or overridden webhook subscription: the next re-sync round that checks it finds it.
        </p>
        <div class="button-row">
          {EVENTS.map((event) => (
            <button
              key={event.type}
              type="button"
              class="secondary"
              onClick={() => void send({ type: event.type }, event.label)}
            >
              {event.label}
            </button>
          ))}
        </div>
        {numbers.length > 0 ? (
          <form
            class="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              const body: Record<string, string> = { type: 'QUALITY_CHANGED', qualityRating: quality };
              if (phone) {
                body.phoneNumberId = phone;
              }
              void send(body, 'Number quality changed');
            }}
          >
            <label for={`sim-phone-${wabaId}`}>Number</label>
            <select id={`sim-phone-${wabaId}`} value={phone} onChange={(event) => setPhone(event.currentTarget.value)}>
              <option value="">First number</option>
              {numbers.map((number) => (
                <option key={number.phoneNumberId} value={number.phoneNumberId}>
                  {number.displayPhoneNumber}
                </option>
              ))}
            </select>
            <label for={`sim-quality-${wabaId}`}>Quality</label>
            <select
              id={`sim-quality-${wabaId}`}
              value={quality}
              onChange={(event) => setQuality(event.currentTarget.value)}
            >
              <option value="GREEN">Green</option>
              <option value="YELLOW">Yellow</option>
              <option value="RED">Red</option>
            </select>
            <button type="submit" class="secondary">
              Change number quality
            </button>
          </form>
        ) : null}
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            const body: Record<string, string> = { type: 'ALERT', alertType };
            if (phone && !alertType.startsWith('INCREASED_CAPABILITIES')) {
              body.phoneNumberId = phone;
            }
            void send(body, 'Account alert raised');
          }}
        >
          <label for={`sim-alert-${wabaId}`}>Alert</label>
          <select
            id={`sim-alert-${wabaId}`}
            value={alertType}
            onChange={(event) => setAlertType(event.currentTarget.value)}
          >
            {ALERT_TYPES.map((item) => (
              <option key={item.type} value={item.type}>
                {item.label}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            Raise alert
          </button>
        </form>
        <Problem message={error} />
        {done ? (
          <p class="ok" role="status">
            {done}
          </p>
        ) : null}
      </div>
    </details>
  );
}
