import type { ComponentType } from 'react';
import type { NavItem } from './components/layout.js';
import { ActivatePage } from './pages/activate-page.js';
import { EnrolMfaPage } from './pages/enrol-mfa-page.js';
import { HomePage } from './pages/home-page.js';
import { ProfilePage } from './pages/profile-page.js';
import { SetupPage } from './pages/setup-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { TokensPage } from './pages/tokens-page.js';
import { UsersPage } from './pages/users-page.js';

/**
 * Who may see a page:
 * - `public`: anyone (setup, sign-in, activation links);
 * - `session`: signed in with a password, even before MFA enrolment;
 * - `active`: fully signed in.
 */
export type Access = 'public' | 'session' | 'active';

export interface PageRoute {
  readonly path: string;
  /** The browser tab title. */
  readonly title: string;
  readonly access: Access;
  readonly page: ComponentType;
  /** Label in the header navigation; pages without one are reached by links. */
  readonly nav?: string;
}

/**
 * Every page of the app. A new feature (devices, releases, SBOMs, telemetry)
 * is one entry here — with `nav` it also appears in the header.
 */
export const ROUTES: readonly PageRoute[] = [
  { path: '/', title: 'Home', access: 'active', page: HomePage, nav: 'Home' },
  { path: '/users', title: 'Users', access: 'active', page: UsersPage, nav: 'Users' },
  { path: '/tokens', title: 'API tokens', access: 'active', page: TokensPage, nav: 'API tokens' },
  { path: '/profile', title: 'Profile', access: 'active', page: ProfilePage, nav: 'Profile' },
  {
    path: '/enrol-mfa',
    title: 'Set up two-step verification',
    access: 'session',
    page: EnrolMfaPage,
  },
  { path: '/sign-in', title: 'Sign in', access: 'public', page: SignInPage },
  { path: '/setup', title: 'Set up Vigil', access: 'public', page: SetupPage },
  { path: '/activate', title: 'Choose your password', access: 'public', page: ActivatePage },
];

export const NAV: readonly NavItem[] = ROUTES.flatMap((r) =>
  r.nav === undefined ? [] : [{ path: r.path, label: r.nav }],
);

export function findRoute(path: string): PageRoute | undefined {
  return ROUTES.find((r) => r.path === path);
}
