/**
 * Reads a secret typed at the terminal without echoing it (raw mode), for a
 * passphrase that must stay out of the shell history, the environment of other
 * processes and the screen. Undefined when stdin is not a terminal: commands
 * then need the secret from the environment instead.
 */
export function terminalSecretReader(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): ((prompt: string) => Promise<string>) | undefined {
  if (!input.isTTY) return undefined;
  return (prompt) =>
    new Promise((resolve, reject) => {
      output.write(prompt);
      const wasRaw = input.isRaw;
      input.setRawMode(true);
      input.setEncoding('utf8');
      let value = '';
      const finish = (error?: Error) => {
        input.removeListener('data', onData);
        input.setRawMode(wasRaw);
        input.pause();
        output.write('\n');
        if (error) reject(error);
        else resolve(value);
      };
      const onData = (chunk: string) => {
        for (const character of chunk) {
          // Enter or Ctrl-D ends the line; Ctrl-C cancels; Backspace/Delete remove one character.
          if (character === '\r' || character === '\n' || character === '\u0004') return finish();
          if (character === '\u0003')
            return finish(new Error('Cancelled at the passphrase prompt.'));
          if (character === '\u007f' || character === '\b')
            value = [...value].slice(0, -1).join('');
          else value += character;
        }
        return undefined;
      };
      input.on('data', onData);
      input.resume();
    });
}
