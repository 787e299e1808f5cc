import { startTestServer } from '@vigil/testkit';
import type { ChildMessage, ParentMessage } from './server-process.js';

/**
 * The Vigil server in a process of its own, so that its log output is exactly
 * what an operator's log collector gets: pino's JSON lines on this process's
 * stdout, at `trace`, the most verbose level the configuration allows. The
 * test process drives it over the IPC channel and never shares its stdout.
 *
 * argv[2]: a PostgreSQL URL, or nothing for SQLite in the data directory.
 */
const databaseUrl = process.argv[2];
const server = await startTestServer({
  VIGIL_LOG_LEVEL: 'trace',
  ...(databaseUrl === undefined ? {} : { VIGIL_DATABASE_URL: databaseUrl }),
});

const send = (message: ChildMessage) => process.send?.(message);
let closing = false;

async function answer(message: ParentMessage): Promise<unknown> {
  switch (message.op) {
    case 'careOrganisation':
      return server.careOrganisation(message.name);
    case 'createEnrolmentToken':
      return server.createEnrolmentToken(message.options);
    case 'close':
      // The server's own close: the data directory stays for the test to read (it deletes it).
      closing = true;
      await server.server.close();
      return null;
  }
}

process.on('message', (message: ParentMessage) => {
  answer(message).then(
    (result) => {
      send({ kind: 'reply', id: message.id, result });
      if (message.op === 'close') process.disconnect();
    },
    (error: unknown) => {
      send({
        kind: 'reply',
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    },
  );
});

// A test process that went away (killed, timed out) takes its server with it.
process.once('disconnect', () => {
  if (closing) return;
  void server.server.close().finally(() => process.exit(1));
});

send({
  kind: 'ready',
  url: server.url,
  deviceUrl: server.deviceUrl,
  caCertPem: server.caCertPem,
  dataDir: server.dataDir,
});
