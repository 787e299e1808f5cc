import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Outbox } from '@vigil/agent';
import { tempDir } from '../fakes/temp-dir.js';

const CHILD = fileURLToPath(new URL('./enqueue-loop.ts', import.meta.url));
const KILLS = 10;
/** Stop starting new children after this long, so the test stays within its 15 s budget. */
const BUDGET_MS = 11_000;

/**
 * Runs the child and SIGKILLs it `killAfterMs` after it printed its first
 * sequence — or after it started, when `fromStart` (to land in start-up and
 * schema creation). Returns the sequences it printed in full lines.
 */
function runAndKill(file: string, killAfterMs: number, fromStart: boolean): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=vigil-source', '--import', 'tsx', CHILD, file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    let killer = fromStart ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.stdout.once('data', () => {
      killer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`child ended on its own (${code}): ${err}`));
        return;
      }
      // A line cut by the kill was never fully printed: only complete lines count.
      const complete = out.slice(0, out.lastIndexOf('\n') + 1);
      resolve(
        complete
          .split('\n')
          .filter((line) => line !== '')
          .map(Number),
      );
    });
  });
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe('Outbox under kill -9', () => {
  it(
    'keeps every acknowledged enqueue and a sound file across random SIGKILLs',
    { timeout: 15_000 },
    async (t) => {
      const file = join(await tempDir(t), 'outbox.sqlite');
      const started = Date.now();
      const acknowledged: number[] = [];
      let kills = 0;
      while (kills < KILLS && Date.now() - started < BUDGET_MS) {
        // Every fourth kill lands anywhere from spawn on (start-up, schema creation); the others mid-loop.
        const fromStart = kills % 4 === 0;
        const printed = await runAndKill(file, Math.floor(Math.random() * 300), fromStart);
        kills += 1;
        for (const sequence of printed) {
          assert.ok(sequence > (acknowledged.at(-1) ?? 0), `sequence ${sequence} not increasing`);
          acknowledged.push(sequence);
        }
        const outbox = new Outbox({ file, cap: { rows: 10_000_000 } });
        try {
          const stored = new Set(outbox.peek(10_000_000).map((e) => e.sequence));
          const lost = acknowledged.filter((s) => !stored.has(s));
          assert.deepEqual(lost, [], `after kill ${kills}: acknowledged sequences lost`);
          assert.ok(outbox.lastSequence() >= (acknowledged.at(-1) ?? 0));
        } finally {
          outbox.close();
        }
        assert.equal(integrity(file), 'ok');
      }
      t.diagnostic(`${kills} kills, ${acknowledged.length} acknowledged enqueues checked`);
      assert.ok(kills >= 3, `only ${kills} kills within the budget`);
      assert.ok(acknowledged.length > 0, 'the child never got to enqueue');
    },
  );
});
