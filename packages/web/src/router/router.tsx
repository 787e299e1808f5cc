import { useEffect, useSyncExternalStore } from 'react';
import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';

/**
 * A small History-API router: the server answers every path outside /api
 * with index.html, and this module decides which page that path shows.
 * Navigation state (a notice to show, where to return after sign-in) rides
 * in `history.state`, so it never appears in the URL or in server logs.
 */

export interface NavigationState {
  /** A message for the next page, e.g. "You were signed out after inactivity". */
  readonly notice?: string;
  /** The path to return to after signing in. */
  readonly from?: string;
}

export interface RouterLocation extends NavigationState {
  readonly path: string;
  readonly query: URLSearchParams;
  /** Changes on every navigation, even to the same path: pages are keyed on it. */
  readonly key: number;
}

interface StoredState extends NavigationState {
  readonly key: number;
}

let lastKey = 0;
let navigated = false;
let current = readLocation();
const subscribers = new Set<() => void>();

function readLocation(): RouterLocation {
  const state = (history.state ?? {}) as Partial<StoredState>;
  const path = location.pathname.length > 1 ? location.pathname.replace(/\/+$/, '') : '/';
  return {
    path,
    query: new URLSearchParams(location.search),
    key: typeof state.key === 'number' ? state.key : 0,
    ...(typeof state.notice === 'string' ? { notice: state.notice } : {}),
    ...(typeof state.from === 'string' ? { from: state.from } : {}),
  };
}

function update(): void {
  current = readLocation();
  for (const notify of subscribers) notify();
}

function onPopState(): void {
  navigated = true;
  update();
}

function subscribe(notify: () => void): () => void {
  if (subscribers.size === 0) window.addEventListener('popstate', onPopState);
  subscribers.add(notify);
  return () => {
    subscribers.delete(notify);
    if (subscribers.size === 0) window.removeEventListener('popstate', onPopState);
  };
}

export function useLocation(): RouterLocation {
  return useSyncExternalStore(subscribe, () => current);
}

/** Whether the person has moved between pages since the app loaded (for focus management). */
export function hasNavigated(): boolean {
  return navigated;
}

export function navigate(
  to: string,
  options: {
    replace?: boolean;
    state?: NavigationState;
    /** False for redirects: they are not the person's own move, so focus stays put. Default true. */
    moveFocus?: boolean;
  } = {},
): void {
  lastKey = Math.max(lastKey, current.key) + 1;
  const state: StoredState = { ...options.state, key: lastKey };
  if (options.replace) history.replaceState(state, '', to);
  else history.pushState(state, '', to);
  if (options.moveFocus ?? true) navigated = true;
  update();
}

/** Replaces the current URL's query string without a new page. */
export function setQuery(query: URLSearchParams): void {
  const search = query.toString();
  history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}`);
  update();
}

interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  readonly to: string;
  readonly children: ReactNode;
}

/** An ordinary link (middle-click, copy address work) that navigates in-app on a plain click. */
export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const { path } = useLocation();
  function handleClick(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  }
  return (
    <a href={to} aria-current={path === to ? 'page' : undefined} onClick={handleClick} {...rest}>
      {children}
    </a>
  );
}

/** Navigates away as soon as it is rendered (replacing the history entry). */
export function Redirect({ to, state }: { readonly to: string; readonly state?: NavigationState }) {
  const notice = state?.notice;
  const from = state?.from;
  useEffect(() => {
    navigate(to, {
      replace: true,
      moveFocus: false,
      state: { ...(notice ? { notice } : {}), ...(from ? { from } : {}) },
    });
  }, [to, notice, from]);
  return null;
}
