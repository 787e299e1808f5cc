import { useEffect, useState } from 'react';
import { toApiError } from './api/api-error.js';
import type { ApiError } from './api/api-error.js';
import type { Me } from './api/types.js';
import { ErrorAlert } from './components/error-alert.js';
import { AppLayout, PlainLayout } from './components/layout.js';
import { PageHeading } from './components/page-heading.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { Redirect, useLocation } from './router/router.js';
import type { RouterLocation } from './router/router.js';
import { findRoute, navFor } from './routes.js';
import type { PageRoute } from './routes.js';
import { SessionProvider, useSession } from './session/session.js';

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}

/** Where a person must go instead of `route`, given who is signed in; null to stay. */
function redirectFor(route: PageRoute, me: Me | null): string | null {
  if (route.access === 'public') return null;
  if (me === null) return '/sign-in';
  switch (me.session.state) {
    case 'mfa-pending':
      return '/sign-in';
    case 'mfa-enrolment':
      return route.access === 'active' ? '/enrol-mfa' : null;
    case 'active':
      return null;
  }
}

function Shell() {
  const location = useLocation();
  const { me, refresh } = useSession();
  const route = findRoute(location.path);
  const needsSession = route !== undefined && route.access !== 'public';
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    document.title = `${route?.title ?? 'Page not found'} · Vigil`;
  }, [route]);

  // Public pages never ask who is signed in: a 401 there is noise, not news.
  useEffect(() => {
    if (!needsSession || me !== undefined) return;
    setLoadError(null);
    refresh().catch((error: unknown) => setLoadError(toApiError(error)));
  }, [needsSession, me, refresh, attempt]);

  if (route === undefined) {
    return me?.session.state === 'active' ? (
      <AppLayout nav={navFor(me)}>
        <NotFoundPage />
      </AppLayout>
    ) : (
      <PlainLayout>
        <NotFoundPage />
      </PlainLayout>
    );
  }

  if (needsSession && me === undefined) {
    return (
      <PlainLayout>
        {loadError ? (
          <>
            <PageHeading>Vigil is not answering</PageHeading>
            <ErrorAlert error={loadError} />
            <button type="button" className="primary" onClick={() => setAttempt((n) => n + 1)}>
              Try again
            </button>
          </>
        ) : (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
      </PlainLayout>
    );
  }

  const target = redirectFor(route, me ?? null);
  if (target !== null && target !== location.path) {
    return <Redirect to={target} state={{ from: pathWithQuery(location) }} />;
  }

  const Page = route.page;
  const page = <Page key={location.key} />;
  if (route.access !== 'public' && me?.session.state === 'active') {
    return <AppLayout nav={navFor(me)}>{page}</AppLayout>;
  }
  return <PlainLayout>{page}</PlainLayout>;
}

function pathWithQuery(location: RouterLocation): string {
  const query = location.query.toString();
  return query ? `${location.path}?${query}` : location.path;
}
