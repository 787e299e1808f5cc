import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory (mode 0700) removed when the test ends. Local rather than
 * @vigil/testkit's, so the agent's unit tests do not load the server.
 */
export async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'vigil-agent-test-'));
  t.after(() => rm(path, { recursive: true, force: true }));
  return path;
}
