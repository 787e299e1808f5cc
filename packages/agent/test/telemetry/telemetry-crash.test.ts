import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { structureOfBatch } from '@vigil/protect';
import { Outbox } from '@vigil/agent';
import { tempDir } from '../fakes/temp-dir.js';

const CHILD = fileURLToPath(new URL('./record-loop.ts', import.meta.url));
const KILLS = 6;
/** Stop starting new children after this long, so the test stays within its 60 s budget. */
const BUDGET_MS = 40_000;

interface Logged {
  readonly sequence: number;
  /** The reading time of the batch's one reading, epoch ms: unique per record. */
  readonly marker: number;
}

/**
 * Runs the child and SIGKILLs it `killAfterMs` after it printed its first
 * record — or after it started, when `fromStart` (to land in start-up, the
 * manifest and the first block reservation). Returns the records it printed in
 * full lines: those whose `record()` had resolved.
 */
function runAndKill(
  file: string,
  run: number,
  killAfterMs: number,
  fromStart: boolean,
): Promise<Logged[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=vigil-source', '--import', 'tsx', CHILD, file, String(run)],
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
          .map((line) => {
            const [sequence, marker] = line.split(' ').map(Number);
            return { sequence: sequence ?? NaN, marker: marker ?? NaN };
          }),
      );
    });
  });
}

/** What the outbox holds after a crash: each batch's sequence by its marker, and the counter. */
function readOutbox(file: string): { byMarker: Map<number, number[]>; lastSequence: number } {
  const outbox = new Outbox({ file, cap: { rows: 10_000_000 } });
  try {
    const byMarker = new Map<number, number[]>();
    for (const entry of outbox.peek(10_000_000)) {
      const header = structureOfBatch(entry.payload);
      // The batch was built (and signed) under the number it is stored under.
      assert.equal(header.sequence, entry.sequence);
      const marker = Date.parse(header.from);
      byMarker.set(marker, [...(byMarker.get(marker) ?? []), entry.sequence]);
    }
    return { byMarker, lastSequence: outbox.lastSequence() };
  } finally {
    outbox.close();
  }
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe('Telemetry.record under kill -9, with records in flight for several patients', () => {
  it(
    'keeps every record that resolved, exactly once, and never reuses a sequence after a crash',
    { timeout: 60_000 },
    async (t) => {
      const file = join(await tempDir(t), 'outbox.sqlite');
      const started = Date.now();
      const logged: Logged[] = [];
      let counterBefore = 0;
      let kills = 0;
      while (kills < KILLS && Date.now() - started < BUDGET_MS) {
        // Every third kill lands anywhere from spawn on; the others while recording.
        const fromStart = kills % 3 === 0;
        const delay = fromStart ? 500 + Math.random() * 1500 : Math.random() * 400;
        const printed = await runAndKill(file, kills, Math.floor(delay), fromStart);
        kills += 1;
        for (const record of printed) {
          assert.ok(
            record.sequence > counterBefore,
            `run ${kills}: sequence ${record.sequence} reuses one at or below ${counterBefore}`,
          );
        }
        logged.push(...printed);
        const { byMarker, lastSequence } = readOutbox(file);
        for (const [marker, sequences] of byMarker) {
          assert.equal(sequences.length, 1, `batch ${marker} stored ${sequences.length} times`);
        }
        for (const record of logged) {
          assert.deepEqual(
            byMarker.get(record.marker),
            [record.sequence],
            `after kill ${kills}: the resolved record ${record.marker} is not stored once under ${record.sequence}`,
          );
        }
        assert.ok(lastSequence >= Math.max(counterBefore, ...printed.map((r) => r.sequence)));
        counterBefore = lastSequence;
        assert.equal(integrity(file), 'ok');
      }
      assert.equal(new Set(logged.map((r) => r.sequence)).size, logged.length);
      t.diagnostic(`${kills} kills, ${logged.length} resolved records checked`);
      assert.ok(kills >= 3, `only ${kills} kills within the budget`);
      assert.ok(logged.length > 0, 'the child never got to record');
    },
  );
});
