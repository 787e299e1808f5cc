// Child process for outbox-crash.test.ts: enqueues batches until killed and
// prints each sequence once `enqueue` has returned (i.e. acknowledged it).
// Not a test file itself (no .test.ts suffix).
import { writeSync } from 'node:fs';
// The module itself, not the package index: start-up stays short (no x509 stack to load).
import { Outbox } from '../../src/queue/outbox.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: enqueue-loop.ts <outbox file>');
const outbox = new Outbox({ file, cap: { rows: 10_000_000 } });
const payload = 'x'.repeat(200);
for (;;) {
  const { sequence } = outbox.enqueue(payload, { pseudonym: 'p-crash', createdAt: Date.now() });
  // Synchronous write to the pipe: once printed, the parent holds us to it.
  writeSync(1, `${sequence}\n`);
}
