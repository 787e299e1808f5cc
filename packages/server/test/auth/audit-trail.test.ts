import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApp, type TestPerson } from '@vigil/testkit';

interface Event {
  type: string;
  organisationId: string | null;
  sequence: number;
  actor: { kind: string };
}

describe('reading the audit trail', () => {
  let t: TestApp;
  let orgA: string;
  let orgB: string;
  let admin: TestPerson;
  let careAdmin: TestPerson;
  const ctx = { requestId: 't', sourceIp: '127.0.0.1' };
  const operator = { kind: 'operator', userId: null, memberships: [] } as const;

  before(async () => {
    t = await TestApp.create();
    ({ organisationId: orgA, admin } = await t.setup());
    const created = await t.services.people.createServed(
      operator,
      orgA,
      { name: 'St Elsewhere', adminEmail: 'nurse@elsewhere.example', adminName: 'Nora Nurse' },
      ctx,
    );
    orgB = created.organisation.id;
    await t.services.passwords.activate(
      created.admin.activationToken!,
      'hospital admin passphrase',
      ctx,
    );
    careAdmin = {
      id: created.admin.userId,
      email: 'nurse@elsewhere.example',
      password: 'hospital admin passphrase',
    };
    await t
      .agent('192.0.2.1')
      .post('/api/v1/session', { email: 'ghost@nowhere.example', password: 'guessing a password' });
  });
  after(() => t.close());

  async function events(person: TestPerson, org: string): Promise<Event[]> {
    const agent = await t.signIn(person);
    const answer = await agent.get(`/api/v1/organisations/${org}/audit-events?limit=500`);
    assert.equal(answer.status, 200);
    return answer.json<{ events: Event[] }>().events;
  }

  it('gives the manufacturer its own and the server-wide events, in sequence order', async () => {
    const list = await events(admin, orgA);
    assert.ok(list.every((e) => e.organisationId === orgA || e.organisationId === null));
    assert.ok(list.some((e) => e.type === 'setup.completed'));
    assert.ok(
      list.some((e) => e.type === 'auth.sign-in.failed' && e.organisationId === null),
      'unknown-account attempt',
    );
    const sequences = list.map((e) => e.sequence);
    assert.deepEqual(
      sequences,
      [...sequences].sort((a, b) => a - b),
    );
  });

  it('gives a care organisation only its own events', async () => {
    const list = await events(careAdmin, orgB);
    assert.ok(list.length > 0);
    assert.ok(list.every((e) => e.organisationId === orgB));
    assert.ok(list.some((e) => e.type === 'auth.sign-in.succeeded'));
    assert.ok(list.some((e) => e.type === 'organisation.created'));
  });

  it('pages with ?after=<sequence>', async () => {
    const all = await events(admin, orgA);
    const agent = await t.signIn(admin);
    const pivot = all[2]!.sequence;
    const page = (
      await agent.get(`/api/v1/organisations/${orgA}/audit-events?after=${pivot}&limit=2`)
    ).json<{ events: Event[] }>().events;
    assert.equal(page.length, 2);
    assert.ok(page.every((e) => e.sequence > pivot));
  });
});
