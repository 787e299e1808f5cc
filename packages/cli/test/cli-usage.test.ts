import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tempDir } from '@vigil/testkit';
import { SETTINGS } from '@vigil/server';
import { EXIT } from '../src/exit-codes.js';
import { parseJson, runCli } from './cli-harness.js';

const COMMANDS = ['serve', 'setup', 'user', 'org', 'token', 'ca', 'device', 'backup'];
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Every runnable command under `path` (`device token create`, …), from the help texts. */
async function commandPaths(dataDir: string, path: readonly string[] = []): Promise<string[]> {
  const subs = commandsIn((await runCli(dataDir, [...path, '--help'])).stdout);
  if (subs.length === 0) return [path.join(' ')];
  const paths: string[] = [];
  for (const sub of subs) paths.push(...(await commandPaths(dataDir, [...path, sub])));
  return paths;
}

/** The command names in the "Commands:" section of a help text (without `help`). */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1] ?? '';
  const names: string[] = [];
  for (const line of section.split('\n')) {
    const name = line.match(/^ {2}([a-z][\w-]*)/)?.[1];
    if (!line.startsWith('  ')) break;
    if (name && name !== 'help') names.push(name);
  }
  return names;
}

describe('when asked for help', () => {
  it('lists every command, every configuration flag and the exit codes, and exits 0', async (t) => {
    const run = await runCli(await tempDir(t), ['--help']);
    assert.equal(run.code, 0);
    for (const command of COMMANDS) assert.match(run.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    for (const s of SETTINGS) assert.ok(run.stdout.includes(s.flag), `--help lacks ${s.flag}`);
    assert.match(run.stdout, /--json/);
    assert.match(run.stdout, /Exit codes:/);
    assert.equal(run.stderr, '');
  });

  it('lists the subcommands of a group', async (t) => {
    const run = await runCli(await tempDir(t), ['user', '--help']);
    assert.equal(run.code, 0);
    for (const sub of ['list', 'create', 'role', 'reset', 'remove'])
      assert.match(run.stdout, new RegExp(`^  ${sub}\\b`, 'm'));
  });

  it('lists the subcommands of a nested group', async (t) => {
    const run = await runCli(await tempDir(t), ['device', 'token', '--help']);
    assert.equal(run.code, 0);
    for (const sub of ['create', 'list', 'revoke'])
      assert.match(run.stdout, new RegExp(`^  ${sub}\\b`, 'm'));
  });
});

describe('when asked for the version', () => {
  it("prints the package's version and exits 0", async (t) => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const run = await runCli(await tempDir(t), ['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), version);
  });
});

describe('when the command line is wrong', () => {
  it('exits 2 with one line on stderr for an unknown command', async (t) => {
    const run = await runCli(await tempDir(t), ['frobnicate']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^vigil: unknown command 'frobnicate'.*\(ERR_CLI_USAGE\)\n$/);
  });

  it('exits 2 for a group without its subcommand', async (t) => {
    const run = await runCli(await tempDir(t), ['token']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^vigil: `vigil token` needs a command: create, list, revoke.*\n$/);
  });

  it('exits 2 for a missing mandatory option', async (t) => {
    const run = await runCli(await tempDir(t), ['user', 'create', '--email', 'x@example.org']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.split('\n').length, 2);
  });

  it('exits 2 for a role that does not exist', async (t) => {
    const run = await runCli(await tempDir(t), [
      'user',
      'role',
      '--email',
      'x@example.org',
      '--role',
      'overlord',
    ]);
    assert.equal(run.code, 2);
  });

  it('exits 2 for an unknown token scope', async (t) => {
    const run = await runCli(await tempDir(t), [
      'token',
      'create',
      '--email',
      'x@example.org',
      '--name',
      'ci',
      '--scopes',
      'users:read,root',
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /org:read/);
  });

  it('reports it as JSON with --json', async (t) => {
    const run = await runCli(await tempDir(t), ['--json', 'user', 'lst']);
    assert.equal(run.code, 2);
    assert.equal(parseJson<{ error: { code: string } }>(run.stderr).error.code, 'ERR_CLI_USAGE');
  });
});

describe('when the configuration is invalid', () => {
  it('exits 1 with ERR_CONFIG_INVALID', async (t) => {
    const run = await runCli(await tempDir(t), ['setup', '--https-port', 'eighty']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^vigil: .*\(ERR_CONFIG_INVALID\)\n$/);
  });
});

describe('when the README is compared with the command line', () => {
  it('documents every command with a table row and an example', async (t) => {
    const paths = await commandPaths(await tempDir(t));
    assert.ok(paths.includes('device token create'), paths.join(', '));
    for (const path of paths) {
      assert.ok(
        README.includes(`| \`vigil ${path}`),
        `README.md has no table row for vigil ${path}`,
      );
      assert.match(
        README,
        new RegExp(`^vigil ${path}\\b`, 'm'),
        `README.md has no example of vigil ${path}`,
      );
    }
  });

  it('documents every exit code', () => {
    for (const code of Object.values(EXIT))
      assert.ok(README.includes(`\n| ${code} |`), `README.md lacks exit code ${code}`);
  });
});
