/**
 * The outbox's sequence numbers, handed out in memory from a block that was
 * reserved durably first. Pure: the outbox commits the counter, this class only
 * says what to commit and hands out what was committed.
 *
 * The invariant that makes a crash harmless: a number is handed out only when
 * it is at or below `end`, and `end` is a value the outbox has already committed
 * (fsynced) as `last_sequence`. After kill -9 or power loss the next process
 * starts above `end`, so what this one never handed out is a gap, and nothing
 * it did hand out can be handed out again. The server needs sequences unique
 * and increasing per device, not contiguous (ADR 0009).
 */
export class SequenceBlock {
  /** The next number to hand out. */
  #next: number;
  /** The highest number durably reserved: the committed `last_sequence`. */
  #end: number;
  readonly #size: number;

  /**
   * @param committed the `last_sequence` read from the file at open.
   * @param size how many numbers one commit reserves ahead (≥ 1).
   */
  constructor(committed: number, size: number) {
    this.#next = committed + 1;
    this.#end = committed;
    this.#size = size;
  }

  /** Numbers reserved on disk and not yet handed out. */
  get available(): number {
    return this.#end - this.#next + 1;
  }

  /** The number `take` returns next, when `available` > 0. */
  get next(): number {
    return this.#next;
  }

  /** The highest number handed out by this or an earlier process (0 before the first). */
  get lastHandedOut(): number {
    return this.#next - 1;
  }

  /** The highest number durably reserved. */
  get end(): number {
    return this.#end;
  }

  /** Hands out the next reserved number. Only after `available` was checked. */
  take(): number {
    if (this.available < 1) throw new RangeError('No reserved sequence is left in the block.');
    const sequence = this.#next;
    this.#next += 1;
    return sequence;
  }

  /**
   * What to commit so that at least `needed` numbers are available, given the
   * counter on disk (`committed`): undefined when they already are, else one
   * block ahead, or more when more callers wait. When the counter is not where
   * this process left it (another writer moved it), what remains of this block
   * is given up, so that the numbers handed out still rise.
   */
  plan(committed: number, needed: number): BlockExtension | undefined {
    if (this.available >= needed) return undefined;
    const first = committed === this.#end ? this.#next : committed + 1;
    return { committed, first, end: Math.max(committed + this.#size, first + needed - 1) };
  }

  /** Records that `extension.end` is on disk. Only after its transaction committed. */
  extended(extension: BlockExtension): void {
    this.#next = extension.first;
    this.#end = extension.end;
  }

  /**
   * The counter to write back at a clean close: the last number handed out,
   * so that the next process continues without a gap. Undefined when nothing
   * is left over. Only correct once nothing more will be handed out.
   */
  rewindTo(): number | undefined {
    return this.#next - 1 < this.#end ? this.#next - 1 : undefined;
  }
}

/** A move of the counter from `committed` to `end`; `first` is the next number handed out after it. */
export interface BlockExtension {
  readonly committed: number;
  readonly first: number;
  readonly end: number;
}
