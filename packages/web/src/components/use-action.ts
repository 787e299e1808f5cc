import { useCallback, useRef, useState } from 'react';
import { toApiError } from '../api/api-error.js';
import type { ApiError } from '../api/api-error.js';

export interface Action {
  readonly busy: boolean;
  readonly error: ApiError | null;
  /**
   * Runs `work`, tracking busy state; returns its result, or undefined after an
   * error or when a run is already under way (a double click submits once).
   */
  readonly run: <T>(work: () => Promise<T>) => Promise<T | undefined>;
  readonly setError: (error: ApiError | null) => void;
}

/**
 * Busy and error state for one thing a page does (submit a form, confirm a
 * dialog). Buttons show `busy` with aria-disabled rather than `disabled`: a
 * disabled button drops keyboard focus to the top of the page.
 */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const running = useRef(false);
  const run = useCallback(async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      return await work();
    } catch (caught) {
      setError(toApiError(caught));
      return undefined;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}
