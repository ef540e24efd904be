/** Shared pieces of the console's pages: routing, badges, problems, time. */
import type { AnchorHTMLAttributes, ComponentChildren, JSX, RefObject, TargetedMouseEvent } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

import { subscribe, type LiveFrame } from './live';
import { alertLabel, reasonSentence } from './status-text';

/** The path and query the console shows; a console route is a plain URL the service answers with the app. */
export interface Route {
  path: string;
  params: URLSearchParams;
}

const routeListeners = new Set<() => void>();

function currentRoute(): Route {
  return { path: location.pathname, params: new URLSearchParams(location.search) };
}

/** Goes to a console route without reloading. */
export function navigate(to: string, { replace = false } = {}): void {
  if (replace) {
    history.replaceState(null, '', to);
  } else {
    history.pushState(null, '', to);
  }
  routeListeners.forEach((listener) => listener());
}

/** The current route, re-rendering on navigation and on the browser's back and forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    routeListeners.add(update);
    addEventListener('popstate', update);
    return () => {
      routeListeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** An in-app link: a real anchor (so it opens in a new tab too) that navigates without a reload. */
export function Link(props: AnchorHTMLAttributes & { href: string }): JSX.Element {
  const onClick = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}

/** Calls `onChange` on every live change (or poll tick) while the component is shown. */
export function useLive(onChange: (frame: LiveFrame) => void): void {
  // One subscription for the component's life: re-subscribing on every render would reopen the stream.
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => subscribe((frame) => latest.current(frame)), []);
}

/**
 * A `<dialog>` shown modal while the component is mounted (the page behind is inert, Escape closes it); focus
 * goes back to whatever opened it.
 */
export function useModalDialog(): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.showModal();
    return () => opener?.focus();
  }, []);
  return dialog;
}

/** A failure as the API's own sentence; announced to screen readers. */
export function Problem({ message }: { message: string | null }): JSX.Element | null {
  return message ? (
    <p class="problem" role="alert">
      {message}
    </p>
  ) : null;
}

/**
 * Previous / Next page of a cursor-paged list. `cursors` holds the cursor of every page up to the current one
 * (null for the first): going back drops the last, going on adds the answer's `nextCursor`.
 */
export function Pager({
  cursors,
  nextCursor,
  onChange,
}: {
  cursors: (string | null)[];
  nextCursor: string | null;
  onChange: (cursors: (string | null)[]) => void;
}): JSX.Element {
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        class="secondary"
        disabled={cursors.length === 1}
        onClick={() => onChange(cursors.slice(0, -1))}
      >
        Previous page
      </button>
      <span>Page {cursors.length}</span>
      <button type="button" class="secondary" disabled={!nextCursor} onClick={() => onChange([...cursors, nextCursor])}>
        Next page
      </button>
    </nav>
  );
}

/** Text with an explanation shown on hover and on keyboard focus. */
export function Tip({
  label,
  tip,
  class: className,
}: {
  label: ComponentChildren;
  tip: string;
  class?: string;
}): JSX.Element {
  const id = useId();
  return (
    <span class="tip-host">
      <span class={className} tabIndex={0} aria-describedby={id}>
        {label}
      </span>
      <span role="tooltip" id={id} class="tip">
        {tip}
      </span>
    </span>
  );
}

/**
 * The Status column: the green Active badge, Disabled with its reason, warnings (a status reason, or a
 * CRITICAL account alert, which Meta raises without disabling the account), re-authorization.
 */
export function StatusBadge({
  status,
  statusReason,
  connection,
  criticalAlert = null,
}: {
  status: 'ACTIVE' | 'DISABLED';
  statusReason: string | null;
  connection: 'CONNECTED' | 'REAUTH_REQUIRED';
  criticalAlert?: string | null;
}): JSX.Element {
  return (
    <span class="badges">
      {status === 'ACTIVE' ? (
        <span class="badge badge-active">Active</span>
      ) : (
        <Tip
          class="badge badge-disabled"
          label="Disabled"
          tip={statusReason ? reasonSentence(statusReason) : 'Meta reports the account disabled.'}
        />
      )}
      {status === 'ACTIVE' && statusReason ? (
        <Tip
          class="warning"
          label={
            <>
              <span aria-hidden="true">⚠</span> {statusReason === 'RESTRICTED' ? 'Restricted' : 'Scheduled for disable'}
            </>
          }
          tip={reasonSentence(statusReason)}
        />
      ) : null}
      {criticalAlert ? (
        <Tip
          class="warning warning-alert"
          label={
            <>
              <span aria-hidden="true">⚠</span> Meta alert
            </>
          }
          tip={`Meta raised a critical alert: ${alertLabel(criticalAlert)} (${criticalAlert}). The account is not disabled; open it for Meta's explanation.`}
        />
      ) : null}
      {connection === 'REAUTH_REQUIRED' ? (
        <Tip
          class="badge badge-reauth"
          label="Re-authorization required"
          tip="Meta rejected the stored access token: run Add phone number (Embedded Signup) again for this account."
        />
      ) : null}
    </span>
  );
}

/** The MM Lite column: a colored dot with Onboarded / Not onboarded, or a dash when not started. */
export function MmLiteDot({ status }: { status: 'ONBOARDED' | 'NOT_ONBOARDED' | null }): JSX.Element {
  if (status === null) {
    return (
      <span class="dash" title="Not started">
        <span aria-hidden="true">—</span>
        <span class="visually-hidden">Not started</span>
      </span>
    );
  }
  const onboarded = status === 'ONBOARDED';
  return (
    <span class="mm-lite">
      <span class={`dot ${onboarded ? 'dot-on' : 'dot-off'}`} aria-hidden="true" />
      {onboarded ? 'Onboarded' : 'Not onboarded'}
    </span>
  );
}

/** A time as people read it, in their own zone; the exact ISO value on hover. */
export function Time({ iso }: { iso: string | null }): JSX.Element {
  if (!iso) {
    return <span>never</span>;
  }
  return (
    <time dateTime={iso} title={iso}>
      {new Date(iso).toLocaleString()}
    </time>
  );
}
