/**
 * The load generator's process (see `startLoadProcess`): runs each
 * `runLoad` request it is sent and replies with the result. Exits when the
 * benchmark disconnects.
 */
import { runLoad } from './load.js';
import type { LoadReplyMessage, LoadRequestMessage } from './load-process.js';

function reply(message: LoadReplyMessage): void {
  process.send?.(message);
}

process.on('message', (message: LoadRequestMessage) => {
  runLoad(message.options).then(
    (result) => reply({ id: message.id, result }),
    (error: unknown) =>
      reply({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
