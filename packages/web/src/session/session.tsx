import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { ApiError } from '../api/api-error.js';
import { getMe, signOut as endSession } from '../api/client.js';
import { onAuthEvent } from '../api/http.js';
import type { Me } from '../api/types.js';
import { forgetAllMemberKeys, setKeyOwner } from '../keystore/member-key-store.js';
import { navigate } from '../router/router.js';

/**
 * Who is signed in, shared by every page. `me` is `undefined` until someone
 * asks (public pages never do, so they make no request that would fail),
 * `null` when nobody is signed in.
 *
 * Idle log-off (MDS2 ALOF) is the server's job: it expires idle sessions and
 * answers ERR_AUTH_SESSION_EXPIRED; this provider then sends the person to
 * sign-in with a message saying why.
 */
export interface Session {
  readonly me: Me | null | undefined;
  /** Asks the server who is signed in (GET /me) and remembers the answer. */
  readonly refresh: () => Promise<Me | null>;
  /** Ends the session and goes to sign-in. */
  readonly signOut: (notice?: string) => Promise<void>;
  /** Forgets the session locally after the server ended it (e.g. "sign out everywhere"). */
  readonly forget: (notice: string) => void;
}

const SessionContext = createContext<Session | null>(null);

export const NOTICE_IDLE = 'You were signed out after inactivity. Sign in again to continue.';
export const NOTICE_SIGNED_OUT = 'You have signed out.';
const NOTICE_SIGN_IN = 'Sign in to continue.';

export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);

  const refresh = useCallback(async (): Promise<Me | null> => {
    try {
      const answer = await getMe({ quiet: true });
      setMe(answer);
      return answer;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setMe(null);
        return null;
      }
      throw error;
    }
  }, []);

  // Brings back the signed-in person's member keys (non-extractable, in IndexedDB).
  useEffect(() => {
    if (me) void setKeyOwner(me.user.id);
  }, [me]);

  const forget = useCallback((notice: string) => {
    forgetAllMemberKeys();
    setMe(null);
    navigate('/sign-in', { state: { notice } });
  }, []);

  const signOut = useCallback(
    async (notice: string = NOTICE_SIGNED_OUT) => {
      try {
        await endSession();
      } catch {
        // Signing out must always leave the person signed out here; the
        // server ends idle sessions on its own if this request was lost.
      }
      forget(notice);
    },
    [forget],
  );

  useEffect(
    () =>
      onAuthEvent((event) => {
        const from = location.pathname + location.search;
        switch (event.kind) {
          case 'signed-out':
            // Whoever signs in next must not find this person's decryption key in the tab.
            forgetAllMemberKeys();
            setMe(null);
            navigate('/sign-in', {
              state: { notice: event.expired ? NOTICE_IDLE : NOTICE_SIGN_IN, from },
            });
            return;
          case 'mfa-required':
            // The password was accepted but the one-time code was never given:
            // learn the session's state so sign-in can ask for the code.
            refresh()
              .catch(() => null)
              .finally(() => navigate('/sign-in', { state: { from } }));
            return;
          case 'mfa-enrolment-required':
            navigate('/enrol-mfa');
            return;
        }
      }),
    [refresh],
  );

  const value = useMemo<Session>(
    () => ({ me, refresh, signOut, forget }),
    [me, refresh, signOut, forget],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession() outside <SessionProvider>');
  return session;
}

/** The signed-in person on pages that are only rendered for an active session. */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe() on a page rendered without a session');
  return me;
}
