/** The WhatsApp Assets console: the user guide's pages, served by the service at `/`. */
import './styles.css';
import './components.css';

import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { call, session, whenUnauthenticated, type Organization, type SignupConfig } from './api';
import { PhoneNumbersPage } from './phone-numbers-page';
import { SignInPage } from './sign-in-page';
import { Link, navigate, useRoute } from './ui';
import { WabaDetailPage } from './waba-detail-page';
import { WabasPage } from './wabas-page';

/** What every page may need about the signed-in organization and the service's mode. */
export interface Context {
  organization: Organization;
  config: SignupConfig;
}

function App(): JSX.Element {
  const route = useRoute();
  const [key, setKey] = useState(session.key());
  const [context, setContext] = useState<Context | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    whenUnauthenticated(() => {
      session.signOut();
      setKey(null);
    });
  }, []);

  useEffect(() => {
    setContext(null);
    setLoadError(null);
    if (!key) {
      return;
    }
    Promise.all([
      call<Organization>('GET', '/api/v1/organization'),
      call<SignupConfig>('GET', '/api/v1/embedded-signup/config'),
    ])
      .then(([organization, config]) => setContext({ organization, config }))
      .catch((error: unknown) => setLoadError(error instanceof Error ? error.message : String(error)));
  }, [key]);

  useEffect(() => {
    document.title = titleOf(route.path);
  }, [route.path]);

  if (!key) {
    return (
      <SignInPage
        onSignedIn={(newKey) => {
          session.signIn(newKey);
          setKey(newKey);
          if (route.path === '/' || route.path === '/sign-in') {
            navigate('/wabas', { replace: true });
          }
        }}
      />
    );
  }

  const signOut = () => {
    session.signOut();
    setKey(null);
    navigate('/sign-in', { replace: true });
  };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          WhatsApp Assets
          {context?.config.sandbox ? <span class="sandbox-tag">Sandbox</span> : null}
        </div>
        <nav aria-label="WhatsApp Assets">
          <Link href="/wabas" aria-current={route.path.startsWith('/wabas') || route.path === '/' ? 'page' : undefined}>
            WABA Accounts
          </Link>
          <Link href="/phone-numbers" aria-current={route.path === '/phone-numbers' ? 'page' : undefined}>
            Phone numbers
          </Link>
        </nav>
        <div class="account">
          <span class="org-name">{context?.organization.name ?? ''}</span>
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {loadError ? (
          <p class="problem" role="alert">
            {loadError}
          </p>
        ) : !context ? (
          <p class="loading">Loading…</p>
        ) : (
          <Page route={route.path} params={route.params} context={context} />
        )}
      </main>
    </>
  );
}

function Page({ route, params, context }: { route: string; params: URLSearchParams; context: Context }): JSX.Element {
  const detail = /^\/wabas\/([0-9]+)$/.exec(route);
  if (detail) {
    return <WabaDetailPage key={detail[1]} wabaId={detail[1]} context={context} />;
  }
  if (route === '/phone-numbers') {
    return <PhoneNumbersPage wabaId={params.get('wabaId')} openAdd={params.get('add') === '1'} context={context} />;
  }
  return <WabasPage context={context} />;
}

function titleOf(path: string): string {
  if (path.startsWith('/wabas/')) {
    return 'WABA account · WhatsApp Assets';
  }
  if (path === '/phone-numbers') {
    return 'Phone numbers · WhatsApp Assets';
  }
  if (path === '/sign-in') {
    return 'Sign in · WhatsApp Assets';
  }
  return 'WABA Accounts · WhatsApp Assets';
}

render(<App />, document.getElementById('app') as HTMLElement);
