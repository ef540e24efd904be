/** Sign-in with an organization API key, or a new (demo) organization made with the admin token. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';

import { call, messageOf, type Organization } from './api';
import { Problem } from './ui';

interface CreatedOrganization extends Organization {
  apiKey: { id: string; key: string; createdAt: string };
}

/** The first screen: nothing else is reachable without a key. */
export function SignInPage({ onSignedIn }: { onSignedIn: (key: string) => void }): JSX.Element {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [adminToken, setAdminToken] = useState('');
  const [orgName, setOrgName] = useState('Demo organization');
  const [createError, setCreateError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedOrganization | null>(null);

  const signIn = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call<Organization>('GET', '/api/v1/organization', undefined, key.trim());
      onSignedIn(key.trim());
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const createOrganization = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setCreateError(null);
    try {
      const organization = await call<CreatedOrganization>(
        'POST',
        '/api/v1/organizations',
        { name: orgName.trim() },
        adminToken.trim(),
      );
      setCreated(organization);
    } catch (failure) {
      setCreateError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>WhatsApp Assets</h1>
      <section aria-labelledby="sign-in-title" class="card">
        <h2 id="sign-in-title">Sign in</h2>
        <form onSubmit={(event) => void signIn(event)}>
          <label for="api-key">Organization API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            required
            placeholder="waak_…"
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
          />
          <p class="hint">Kept for this browser tab only; Sign out forgets it.</p>
          <Problem message={error} />
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      </section>
      <section aria-labelledby="create-title" class="card">
        <h2 id="create-title">New organization</h2>
        {created ? (
          <div class="created" role="status">
            <p>
              Organization <strong>{created.name}</strong> is ready. Its API key is shown only now: keep it.
            </p>
            <code class="secret">{created.apiKey.key}</code>
            <button type="button" onClick={() => onSignedIn(created.apiKey.key)}>
              Continue as {created.name}
            </button>
          </div>
        ) : (
          <form onSubmit={(event) => void createOrganization(event)}>
            <p class="hint">
              In sandbox mode the service prints its admin token at start-up (“Sandbox admin token (ADMIN_API_TOKEN):
              adm_…”); paste it here to create a demo organization and sign in with its key.
            </p>
            <label for="admin-token">Admin token</label>
            <input
              id="admin-token"
              type="password"
              autoComplete="off"
              required
              value={adminToken}
              onInput={(event) => setAdminToken(event.currentTarget.value)}
            />
            <label for="org-name">Organization name</label>
            <input
              id="org-name"
              required
              maxLength={100}
              value={orgName}
              onInput={(event) => setOrgName(event.currentTarget.value)}
            />
            <Problem message={createError} />
            <button type="submit" class="secondary" disabled={busy}>
              Create organization
            </button>
          </form>
        )}
      </section>
    </main>
  );
}
