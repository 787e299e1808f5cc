import { useEffect, useState } from 'react';

/**
 * Setup, activation and reset links carry their token in the URL fragment
 * (`#token=…`), which browsers never send to a server (docs/api.md). The page
 * reads it once, then removes it from the address bar and history so it is not
 * left behind on a shared screen.
 */
export function useFragmentToken(): [string, (token: string) => void] {
  const [token, setToken] = useState(
    () => new URLSearchParams(location.hash.slice(1)).get('token') ?? '',
  );
  useEffect(() => {
    if (location.hash) {
      history.replaceState(history.state, '', location.pathname + location.search);
    }
  }, []);
  return [token, setToken];
}
