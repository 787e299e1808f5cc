/**
 * Runs `work` with two signals for a graceful stop: the first SIGINT/SIGTERM
 * aborts `stop` (stop taking readings, deliver what is queued) and calls
 * `onStopping`; a second one aborts `abandon` (leave the rest queued). When
 * the embedding passes its own `external` signal it owns shutdown: it aborts
 * `stop`, and no process handlers are installed (as `vigil serve` does).
 *
 * @example
 * const summary = await withStopSignals(io.signal, () => out.note('Stopping…'),
 *   (stop, abandon) => runSimulation({ …, stop, abandon }));
 */
export async function withStopSignals<T>(
  external: AbortSignal | undefined,
  onStopping: () => void,
  work: (stop: AbortSignal, abandon: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const abandon = new AbortController();
  if (external !== undefined) {
    const onAbort = () => stop.abort();
    if (external.aborted) onAbort();
    else external.addEventListener('abort', onAbort, { once: true });
    try {
      return await work(stop.signal, abandon.signal);
    } finally {
      external.removeEventListener('abort', onAbort);
    }
  }
  const onSignal = () => {
    if (stop.signal.aborted) {
      abandon.abort();
      return;
    }
    stop.abort();
    onStopping();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(stop.signal, abandon.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
