import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { SETUP_TOKEN_VALIDITY, baseUrl, setupLink } from '../links.js';
import { withOperatorSession } from '../operator-session.js';
import { formatTime } from '../output.js';

/** The lines that tell someone how to finish first-run setup (also part of the `serve` banner). */
export function setupInstructions(link: string, token: string): string[] {
  return [
    `Setup required. Open this link to create the manufacturer organisation and its first admin:`,
    `  ${link}`,
    `Setup token (paste it into the setup page if the link does not open):`,
    token,
    `It is valid for ${SETUP_TOKEN_VALIDITY} and works once; or run \`vigil setup\` for a new one.`,
  ];
}

/**
 * `vigil setup`: a fresh setup token for a server whose first run was missed
 * or whose token expired. Issuing replaces any earlier token, so only the
 * newest printed link works.
 */
export function registerSetupCommand(program: Command, cli: CliContext): void {
  program
    .command('setup')
    .description('Issue a new one-time setup token (invalidates the previous one)')
    .action(async (_options: unknown, command: Command) => {
      const config = cli.config(command);
      const issued = await withOperatorSession(config, (s) =>
        s.services.setup.issueToken(s.context),
      );
      const link = setupLink(baseUrl(config), issued.token);
      cli.out.result({ link, token: issued.token, expiresAt: issued.expiresAt }, () => [
        ...setupInstructions(link, issued.token),
        `Expires at ${formatTime(issued.expiresAt)}.`,
      ]);
    });
}
