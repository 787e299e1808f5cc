import type { ComponentType } from 'react';
import { can } from './api/access.js';
import type { Me, Scope } from './api/types.js';
import type { NavItem } from './components/layout.js';
import { ActivatePage } from './pages/activate-page.js';
import { DevicesPage } from './pages/devices-page.js';
import { EnrolMfaPage } from './pages/enrol-mfa-page.js';
import { HomePage } from './pages/home-page.js';
import { ProfilePage } from './pages/profile-page.js';
import { SetupPage } from './pages/setup-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { TokensPage } from './pages/tokens-page.js';
import { UsersPage } from './pages/users-page.js';
import { VitalSignsPage } from './pages/vital-signs-page.js';

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
  /**
   * The nav entry is shown only to people who hold this permission in at
   * least one of their organisations. The page itself still opens for anyone
   * with `access` and says what their role does not include.
   */
  readonly navPermission?: Scope;
}

/**
 * Every page of the app. A new feature (devices, releases, SBOMs, telemetry)
 * is one entry here — with `nav` it also appears in the header.
 */
export const ROUTES: readonly PageRoute[] = [
  { path: '/', title: 'Home', access: 'active', page: HomePage, nav: 'Home' },
  {
    path: '/devices',
    title: 'Devices',
    access: 'active',
    page: DevicesPage,
    nav: 'Devices',
    navPermission: 'devices:read',
  },
  {
    path: '/vital-signs',
    title: 'Vital signs',
    access: 'active',
    page: VitalSignsPage,
    nav: 'Vital signs',
    navPermission: 'data:read',
  },
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

/** The header navigation for this person: every page with `nav` that their roles let them use. */
export function navFor(me: Me): readonly NavItem[] {
  return ROUTES.flatMap(({ path, nav, navPermission }) => {
    if (nav === undefined) return [];
    if (navPermission !== undefined && !me.memberships.some((m) => can(m.role, navPermission))) {
      return [];
    }
    return [{ path, label: nav }];
  });
}

export function findRoute(path: string): PageRoute | undefined {
  return ROUTES.find((r) => r.path === path);
}
