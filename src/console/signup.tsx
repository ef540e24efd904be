/**
 * "Add phone number": Meta's Embedded Signup. With a real Meta app, Facebook's JavaScript SDK (v4 launch:
 * FB.login with the options GET /api/v1/embedded-signup/config gives, the session info arriving as a
 * `message` event read by signup-session.ts); in sandbox mode a
 * stand-in popup backed by POST /api/v1/sandbox/embedded-signup. Either way the code, WABA and number then go
 * to POST /api/v1/phone-numbers, which connects them.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { call, messageOf, type PhoneNumber, type SignupConfig, type WabaRow } from './api';
import { readSessionInfo } from './signup-session';
import { Problem, useModalDialog } from './ui';

interface SignupResult {
  code: string;
  wabaId: string;
  phoneNumberId: string;
  businessId?: string;
}

interface Connected {
  phoneNumber: PhoneNumber;
  waba: WabaRow;
}

/** The button, and the flow it starts; `onConnected` gets a sentence and the WABA's ID. */
export function AddPhoneNumber({
  config,
  startOpen,
  onConnected,
}: {
  config: SignupConfig;
  startOpen: boolean;
  onConnected: (message: string, wabaId: string) => void;
}): JSX.Element {
  const [standIn, setStandIn] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const connect = async (result: SignupResult) => {
    const connected = await call<Connected>('POST', '/api/v1/phone-numbers', {
      code: result.code,
      wabaId: result.wabaId,
      phoneNumberId: result.phoneNumberId,
      ...(result.businessId ? { businessId: result.businessId } : {}),
    });
    onConnected(
      `Connected ${connected.phoneNumber.displayPhoneNumber} with WABA account ${connected.waba.name}.`,
      connected.waba.wabaId,
    );
  };

  const start = async () => {
    setError(null);
    if (config.sandbox) {
      setStandIn(true);
      return;
    }
    setBusy(true);
    try {
      await connect(await launchFacebookSignup(config));
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (startOpen) {
      void start();
    }
  }, []);

  return (
    <div class="add-number">
      <button type="button" disabled={busy} onClick={() => void start()}>
        {busy ? 'Waiting for Embedded Signup…' : 'Add phone number'}
      </button>
      <Problem message={error} />
      {standIn ? <SandboxSignupDialog onClose={() => setStandIn(false)} connect={connect} /> : null}
    </div>
  );
}

/** Sandbox: what Meta's popup asks, answered by the simulator. */
function SandboxSignupDialog({
  onClose,
  connect,
}: {
  onClose: () => void;
  connect: (result: SignupResult) => Promise<void>;
}): JSX.Element {
  const dialog = useModalDialog();
  const [wabaName, setWabaName] = useState('Lucky Shrub');
  const [phone, setPhone] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const finish = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await call<SignupResult>('POST', '/api/v1/sandbox/embedded-signup', {
        wabaName: wabaName.trim() || undefined,
        displayPhoneNumber: phone.trim() || undefined,
      });
      await connect(result);
      dialog.current?.close();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="panel signup" aria-labelledby="signup-title" onClose={onClose}>
      <div class="panel-head">
        <h2 id="signup-title">Embedded Signup (sandbox stand-in)</h2>
        <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
          Cancel
        </button>
      </div>
      <p class="hint">
        With a real Meta app this is Facebook’s popup. In sandbox mode the built-in Meta simulator creates the business
        account and the number you describe here.
      </p>
      <form onSubmit={(event) => void finish(event)}>
        <label for="signup-waba-name">WhatsApp Business Account name</label>
        <input
          id="signup-waba-name"
          required
          maxLength={100}
          value={wabaName}
          onInput={(event) => setWabaName(event.currentTarget.value)}
        />
        <label for="signup-phone">Phone number (optional)</label>
        <input
          id="signup-phone"
          type="tel"
          placeholder="+44 7700 900123"
          value={phone}
          onInput={(event) => setPhone(event.currentTarget.value)}
        />
        <Problem message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Connecting…' : 'Finish'}
        </button>
      </form>
    </dialog>
  );
}

interface FacebookSdk {
  init(options: { appId: string; autoLogAppEvents: boolean; xfbml: boolean; version: string }): void;
  login(
    callback: (response: { authResponse?: { code?: string } | null; status?: string }) => void,
    options: Record<string, unknown>,
  ): void;
}

declare global {
  interface Window {
    FB?: FacebookSdk;
  }
}

let sdk: Promise<FacebookSdk> | null = null;

/** Loads Facebook's SDK once (the service's CSP allows its origin only when a real Meta app is configured). */
function loadFacebookSdk(config: SignupConfig): Promise<FacebookSdk> {
  sdk ??= new Promise<FacebookSdk>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'https://connect.facebook.net/en_US/sdk.js';
    script.async = true;
    script.crossOrigin = 'anonymous';
    script.onload = () => {
      if (!window.FB || !config.appId) {
        reject(new Error('Facebook’s SDK did not load.'));
        return;
      }
      window.FB.init({ appId: config.appId, autoLogAppEvents: true, xfbml: false, version: config.graphApiVersion });
      resolve(window.FB);
    };
    script.onerror = () => {
      sdk = null;
      reject(new Error('Facebook’s SDK could not be loaded: check the connection, then try again.'));
    };
    document.head.append(script);
  });
  return sdk;
}

/**
 * Runs Embedded Signup as the service's config says (v4: the configuration decides the version and products,
 * `extras` stays as given); resolves with the code and the session info's WABA and number.
 */
async function launchFacebookSignup(config: SignupConfig): Promise<SignupResult> {
  if (!config.appId || !config.configId) {
    throw new Error('Embedded Signup is not configured on this service (META_ES_CONFIG_ID is missing).');
  }
  const fb = await loadFacebookSdk(config);
  let session: { wabaId: string; phoneNumberId: string | null; businessId: string | null } | null = null;
  let cancelled: string | null = null;
  const onMessage = (event: MessageEvent) => {
    if (!/(^|\.)facebook\.com$/.test(new URL(event.origin).hostname)) {
      return;
    }
    const info = readSessionInfo(event.data, config.sessionInfoType);
    if (info?.kind === 'finished') {
      session = info;
    } else if (info?.kind === 'cancelled') {
      cancelled = info.message;
    }
  };
  addEventListener('message', onMessage);
  try {
    const code = await new Promise<string | null>((resolve) =>
      fb.login((response) => resolve(response.authResponse?.code ?? null), {
        config_id: config.configId,
        response_type: config.responseType,
        override_default_response_type: config.overrideDefaultResponseType,
        extras: config.extras,
      }),
    );
    // The session info (FINISH, or CANCEL / ERROR with where and why) may arrive just after the login callback.
    for (let waited = 0; !session && !cancelled && waited < 3000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!code) {
      throw new Error(cancelled ?? 'Embedded Signup was closed before it finished.');
    }
    const info = session as { wabaId: string; phoneNumberId: string | null; businessId: string | null } | null;
    if (!info) {
      throw new Error(cancelled ?? 'Meta did not say which WABA and number were shared: run Add phone number again.');
    }
    if (!info.phoneNumberId) {
      // v4 lets a customer finish with the WABA only (FINISH_ONLY_WABA): there is no number to connect yet.
      throw new Error(
        `Meta shared WABA ${info.wabaId} without a phone number. Add the number to that WABA, then run Add phone number again and pick it.`,
      );
    }
    return {
      code,
      wabaId: info.wabaId,
      phoneNumberId: info.phoneNumberId,
      ...(info.businessId ? { businessId: info.businessId } : {}),
    };
  } finally {
    removeEventListener('message', onMessage);
  }
}
