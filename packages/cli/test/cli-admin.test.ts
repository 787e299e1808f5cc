import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTempDir, tempDir, type TempDir } from '@vigil/testkit';
import { ADMIN, parseJson, runCli, setUpInstallation, withServices } from './cli-harness.js';

interface Person {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly activated: boolean;
}
interface ErrorOutput {
  readonly error: { readonly code: string; readonly message: string };
}

describe('when setup has not been done', () => {
  it('refuses people commands with ERR_NOT_FOUND, as JSON with --json', async (t) => {
    const run = await runCli(await tempDir(t), ['user', 'list', '--json']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(parseJson<ErrorOutput>(run.stderr).error.code, 'ERR_NOT_FOUND');
  });
});

describe('when setup has been done', () => {
  let dir: TempDir;
  let manufacturerId: string;
  const vigil = (...args: string[]) => runCli(dir.path, args);

  before(async () => {
    dir = await createTempDir();
    manufacturerId = (await setUpInstallation(dir.path)).organisationId;
  });
  after(() => dir.remove());

  describe('and the operator adds a person', () => {
    it('prints a one-time activation link and token, and `user list --json` shows them', async () => {
      const created = await vigil(
        'user',
        'create',
        '--email',
        'Bo@Maker.example',
        '--name',
        'Bo Auditor',
        '--role',
        'auditor',
      );
      assert.equal(created.code, 0, created.stderr);
      const token = created.stdout.split('\n').find((line) => /^vgl_otp_/.test(line));
      assert.ok(token, created.stdout);
      assert.ok(created.stdout.includes(`/activate#token=${token}`));

      const listed = await vigil('user', 'list', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      const { organisationId, users } = parseJson<{ organisationId: string; users: Person[] }>(
        listed.stdout,
      );
      assert.equal(organisationId, manufacturerId);
      const bo = users.find((u) => u.email === 'bo@maker.example');
      assert.equal(bo?.role, 'auditor');
      assert.equal(bo?.activated, false);
      assert.ok(users.some((u) => u.email === ADMIN.email));
    });

    it('records it as an audit event by the system', async () => {
      await vigil(
        'user',
        'create',
        '--email',
        'cy@maker.example',
        '--name',
        'Cy',
        '--role',
        'clinician',
      );
      const events = await withServices(dir.path, (_services, store) =>
        store.listAllAuditEvents(0, 1000),
      );
      const created = events.filter((e) => e.type === 'user.created').at(-1);
      assert.deepEqual(created?.actor, { kind: 'system' });
      assert.equal(created?.organisationId, manufacturerId);
    });

    it('refuses a second membership with ERR_USER_EXISTS', async () => {
      await vigil(
        'user',
        'create',
        '--email',
        'di@maker.example',
        '--name',
        'Di',
        '--role',
        'auditor',
      );
      const again = await vigil(
        'user',
        'create',
        '--email',
        'di@maker.example',
        '--name',
        'Di',
        '--role',
        'auditor',
      );
      assert.equal(again.code, 1);
      assert.match(again.stderr, /\(ERR_USER_EXISTS\)\n$/);
    });
  });

  describe('and the operator changes, resets and removes a person', () => {
    it('changes the role, prints a reset token, and removes the membership', async () => {
      await vigil(
        'user',
        'create',
        '--email',
        'ed@maker.example',
        '--name',
        'Ed',
        '--role',
        'auditor',
      );

      const role = await vigil(
        'user',
        'role',
        '--email',
        'ed@maker.example',
        '--role',
        'security-engineer',
        '--json',
      );
      assert.equal(role.code, 0, role.stderr);
      assert.equal(parseJson<{ user: Person }>(role.stdout).user.role, 'security-engineer');

      const reset = await vigil('user', 'reset', '--email', 'ed@maker.example', '--json');
      assert.equal(reset.code, 0, reset.stderr);
      const { resetToken, resetLink } = parseJson<{ resetToken: string; resetLink: string }>(
        reset.stdout,
      );
      assert.match(resetToken, /^vgl_otp_/);
      assert.ok(resetLink.endsWith(`/activate#token=${resetToken}`));

      assert.equal((await vigil('user', 'remove', '--email', 'ed@maker.example')).code, 0);
      const { users } = parseJson<{ users: Person[] }>(
        (await vigil('user', 'list', '--json')).stdout,
      );
      assert.ok(!users.some((u) => u.email === 'ed@maker.example'));
    });

    it('refuses to demote the last admin with ERR_ROLE_LAST_ADMIN', async () => {
      const run = await vigil('user', 'role', '--email', ADMIN.email, '--role', 'auditor');
      assert.equal(run.code, 1);
      assert.match(run.stderr, /\(ERR_ROLE_LAST_ADMIN\)\n$/);
    });

    it('reports an unknown email with ERR_NOT_FOUND', async () => {
      const run = await vigil('user', 'reset', '--email', 'nobody@maker.example', '--json');
      assert.equal(run.code, 1);
      assert.equal(parseJson<ErrorOutput>(run.stderr).error.code, 'ERR_NOT_FOUND');
    });
  });

  describe('and the operator creates a care organisation', () => {
    it('prints its admin activation token, and `org list` and `user list --org` show it', async () => {
      const created = await vigil(
        'org',
        'create-care',
        '--name',
        'St Elsewhere',
        '--admin-email',
        'fay@hospital.example',
        '--admin-name',
        'Fay',
        '--json',
      );
      assert.equal(created.code, 0, created.stderr);
      const { organisation, admin } = parseJson<{
        organisation: { id: string };
        admin: { activationToken: string };
      }>(created.stdout);
      assert.match(admin.activationToken, /^vgl_otp_/);

      const { organisations } = parseJson<{ organisations: Array<{ id: string; kind: string }> }>(
        (await vigil('org', 'list', '--json')).stdout,
      );
      assert.deepEqual(
        organisations.map((o) => o.kind),
        ['manufacturer', 'care'],
      );
      assert.equal(organisations[1]?.id, organisation.id);

      const { users } = parseJson<{ users: Person[] }>(
        (await vigil('user', 'list', '--org', organisation.id, '--json')).stdout,
      );
      assert.deepEqual(
        users.map((u) => [u.email, u.role]),
        [['fay@hospital.example', 'admin']],
      );
    });
  });

  describe('and the operator creates an API token for a person', () => {
    it('prints a vgl_pat_ token once, and `token list --json` shows it without the secret', async () => {
      await vigil(
        'user',
        'create',
        '--email',
        'gus@maker.example',
        '--name',
        'Gus',
        '--role',
        'auditor',
      );
      const created = await vigil(
        'token',
        'create',
        '--email',
        'gus@maker.example',
        '--name',
        'SIEM export',
        '--scopes',
        'audit:read',
        '--days',
        '30',
      );
      assert.equal(created.code, 0, created.stderr);
      const secret = created.stdout.split('\n').find((line) => /^vgl_pat_/.test(line));
      assert.ok(secret, created.stdout);

      const listed = await vigil('token', 'list', '--email', 'gus@maker.example', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(!listed.stdout.includes(secret));
      assert.ok(!listed.stdout.includes('tokenHash'));
      const { tokens } = parseJson<{
        tokens: Array<{
          id: string;
          name: string;
          scopes: string[];
          organisationId: string;
          revokedAt: number | null;
        }>;
      }>(listed.stdout);
      assert.equal(tokens.length, 1);
      assert.equal(tokens[0]?.name, 'SIEM export');
      assert.deepEqual(tokens[0]?.scopes, ['audit:read']);
      assert.equal(tokens[0]?.organisationId, manufacturerId);

      const id = tokens[0]?.id ?? '';
      assert.equal((await vigil('token', 'revoke', id)).code, 0);
      const after = parseJson<{ tokens: Array<{ revokedAt: number | null }> }>(
        (await vigil('token', 'list', '--email', 'gus@maker.example', '--json')).stdout,
      );
      assert.notEqual(after.tokens[0]?.revokedAt, null);
    });

    it("refuses scopes beyond the owner's role with ERR_AUTH_FORBIDDEN", async () => {
      await vigil(
        'user',
        'create',
        '--email',
        'hal@maker.example',
        '--name',
        'Hal',
        '--role',
        'clinician',
      );
      const run = await vigil(
        'token',
        'create',
        '--email',
        'hal@maker.example',
        '--name',
        'too much',
        '--scopes',
        'users:manage',
        '--json',
      );
      assert.equal(run.code, 1);
      assert.equal(parseJson<ErrorOutput>(run.stderr).error.code, 'ERR_AUTH_FORBIDDEN');
    });

    it('reports an unknown token id with ERR_NOT_FOUND', async () => {
      const run = await vigil('token', 'revoke', '00000000-0000-0000-0000-000000000000');
      assert.equal(run.code, 1);
      assert.match(run.stderr, /\(ERR_NOT_FOUND\)\n$/);
    });
  });
});
