/** What one job of a group came to: its value, or its own refusal (the others still commit). */
export type Settled<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export interface CommitGroupOptions {
  /**
   * How many jobs are known to be on their way (for the outbox: batches that
   * have their number and are still being built). A commit waits for them, up
   * to `maxWaitMs`, so that they share it; with none on the way it commits on
   * the next turn of the event loop. Default: none.
   */
  readonly pending?: () => number;
  /** The longest a commit waits for pending jobs, in milliseconds. Default 0 (never waits). */
  readonly maxWaitMs?: number;
}

interface Waiting<J, R> {
  readonly job: J;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: jobs submitted by concurrent callers are written together by
 * one call of `commit` — one SQLite transaction, so one fsync, for all of them.
 *
 * better-sqlite3 commits synchronously, with the event loop blocked for the
 * fsync; meanwhile WebCrypto finishes other batches on libuv's pool, and their
 * callers submit as soon as the commit returns. So the jobs that arrive during
 * one commit are written by the next. A commit runs on the next turn of the
 * event loop after its first job, or, while `pending` jobs are still on their
 * way, once they have all arrived or `maxWaitMs` after the first — whichever
 * comes first. A lone caller (nothing pending) waits one turn at most.
 *
 * No caller's promise settles before `commit` has returned, i.e. before its
 * transaction is on disk. When `commit` throws, the transaction rolled back
 * and every caller of the group is rejected with that error: nothing of the
 * group is stored, and nobody is told otherwise.
 */
export class CommitGroup<J, R> {
  readonly #commit: (jobs: readonly J[]) => readonly Settled<R>[];
  readonly #pending: () => number;
  readonly #maxWaitMs: number;
  #waiting: Waiting<J, R>[] = [];
  /** When the oldest waiting job arrived (performance.now()). */
  #since = 0;
  #turnScheduled = false;
  #deadline: ReturnType<typeof setTimeout> | undefined;

  /** @param commit writes the jobs in one transaction and returns one outcome per job, in order. */
  constructor(
    commit: (jobs: readonly J[]) => readonly Settled<R>[],
    options: CommitGroupOptions = {},
  ) {
    this.#commit = commit;
    this.#pending = options.pending ?? (() => 0);
    this.#maxWaitMs = options.maxWaitMs ?? 0;
  }

  /** Jobs waiting for the next commit. */
  get size(): number {
    return this.#waiting.length;
  }

  /** Resolves (or rejects) once the group the job joined has committed. */
  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.#waiting.length === 0) this.#since = performance.now();
      this.#waiting.push({ job, resolve, reject });
      if (!this.#turnScheduled) {
        this.#turnScheduled = true;
        setImmediate(() => {
          this.#turnScheduled = false;
          this.#commitWhenReady();
        });
      }
    });
  }

  /** Commits what waits now, without waiting any longer (close uses it). */
  flush(): void {
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    const group = this.#waiting;
    if (group.length === 0) return;
    this.#waiting = [];
    let outcomes: readonly Settled<R>[];
    try {
      outcomes = this.#commit(group.map((w) => w.job));
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
      return;
    }
    group.forEach((waiting, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) waiting.reject(new Error('The commit returned no outcome.'));
      else if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
  }

  /** Rejects every waiting job with `error`, committing nothing. */
  abandon(error: unknown): void {
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    const group = this.#waiting;
    this.#waiting = [];
    for (const waiting of group) waiting.reject(error);
  }

  /** Commits now, unless jobs are still on their way and the oldest may wait longer. */
  #commitWhenReady(): void {
    if (this.#waiting.length === 0) return;
    const left = this.#maxWaitMs - (performance.now() - this.#since);
    if (left > 0 && this.#pending() > 0) {
      // Each later submit checks again; the deadline bounds the wait.
      this.#deadline ??= setTimeout(() => this.flush(), left);
      return;
    }
    this.flush();
  }
}
