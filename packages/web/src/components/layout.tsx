import { useRef } from 'react';
import type { ReactNode, RefObject } from 'react';
import { Link } from '../router/router.js';
import { useMe, useSession } from '../session/session.js';

export interface NavItem {
  readonly path: string;
  readonly label: string;
}

function SkipLink({ target }: { readonly target: RefObject<HTMLElement | null> }) {
  return (
    <a
      href="#main"
      className="skip-link"
      onClick={(event) => {
        // Move focus without touching the URL (the router owns it).
        event.preventDefault();
        target.current?.focus();
      }}
    >
      Skip to main content
    </a>
  );
}

function Brand() {
  return (
    <span className="brand">
      <img src="/favicon.svg" alt="" width="24" height="24" />
      Vigil
    </span>
  );
}

/** The signed-in frame: header with navigation, the person, and sign out. */
export function AppLayout({
  nav,
  children,
}: {
  readonly nav: readonly NavItem[];
  readonly children: ReactNode;
}) {
  const me = useMe();
  const { signOut } = useSession();
  const main = useRef<HTMLElement>(null);
  return (
    <div className="app">
      <SkipLink target={main} />
      <header className="app-header">
        <Link to="/" className="brand-link" aria-label="Vigil home">
          <Brand />
        </Link>
        <nav aria-label="Main">
          <ul className="nav-list">
            {nav.map((item) => (
              <li key={item.path}>
                <Link to={item.path}>{item.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="current-user">
          <span className="current-user-name">{me.user.name}</span>
          <span className="current-user-email">{me.user.email}</span>
          <button type="button" className="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="app-main">
        {children}
      </main>
    </div>
  );
}

/** The frame for signing in, setup, activation and MFA enrolment: one centred card. */
export function PlainLayout({ children }: { readonly children: ReactNode }) {
  const main = useRef<HTMLElement>(null);
  return (
    <div className="plain">
      <SkipLink target={main} />
      <header className="plain-header">
        <Brand />
        <span className="tagline">Cybersecurity for connected medical devices</span>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="plain-main">
        {children}
      </main>
    </div>
  );
}
