import { useCallback, useEffect, useState } from 'react';
import { toApiError } from '../api/api-error.js';
import type { ApiError } from '../api/api-error.js';

export interface Resource<T> {
  /** Undefined while the first load is under way or after it failed. */
  readonly data: T | undefined;
  readonly error: ApiError | null;
  readonly loading: boolean;
  readonly reload: () => void;
}

/**
 * Loads something when the page (or one of `deps`) changes; answers that
 * arrive after the page moved on are dropped.
 */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setLoading(false);
      },
      (caught: unknown) => {
        if (!current) return;
        setData(undefined);
        setError(toApiError(caught));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure each render; `deps` says when it really changes.
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}
