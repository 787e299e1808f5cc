import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachEngine } from '@vigil/testkit';
import type { SessionRow } from '../../src/store/index.js';
import { MINUTE, NOW, digest, manufacturer, person } from './fixtures.js';

forEachEngine('the store: sessions and tokens', (engine) => {
  describe('when a session is created', () => {
    it('finds it by the digest of its secret, touches it, changes its state and deletes it', async () => {
      const store = await engine.open();
      const ann = await person(store, 'ann@maker.example');
      const session: SessionRow = {
        idHash: digest('session-1'),
        id: 'session-1',
        userId: ann.id,
        state: 'mfa-pending',
        csrfHash: digest('csrf-1'),
        createdAt: NOW,
        lastSeenAt: NOW,
        sourceIp: '192.0.2.10',
        userAgent: 'Firefox',
      };
      await store.createSession(session);
      assert.deepEqual(await store.getSessionByHash(session.idHash), session);

      await store.touchSession(session.idHash, NOW + MINUTE);
      await store.setSessionState(session.idHash, 'active');
      assert.deepEqual(await store.getSessionByHash(session.idHash), {
        ...session,
        lastSeenAt: NOW + MINUTE,
        state: 'active',
      });

      await store.deleteSession(session.idHash);
      assert.equal(await store.getSessionByHash(session.idHash), undefined);
    });

    it('ends every session of one person and says how many', async () => {
      const store = await engine.open();
      const ann = await person(store, 'ann@maker.example');
      const bob = await person(store, 'bob@maker.example');
      for (const [n, user] of [ann, ann, bob].entries()) {
        await store.createSession({
          idHash: digest(`s${n}`),
          id: `s${n}`,
          userId: user.id,
          state: 'active',
          csrfHash: digest(`c${n}`),
          createdAt: NOW,
          lastSeenAt: NOW,
          sourceIp: null,
          userAgent: null,
        });
      }
      assert.equal(await store.deleteSessionsOfUser(ann.id), 2);
      assert.equal(await store.deleteSessionsOfUser(ann.id), 0);
      assert.ok(await store.getSessionByHash(digest('s2')), "bob's session stays");
    });
  });

  describe('when an API token is created', () => {
    it('reads it back by id and by hash with its scopes, lists, marks used and revokes once', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const ann = await person(store, 'ann@maker.example');
      const token = await store.createApiToken({
        userId: ann.id,
        organisationId: maker.id,
        name: 'SIEM export',
        tokenHash: digest('token-1'),
        scopes: ['audit:read', 'org:read'],
        createdAt: NOW,
        expiresAt: NOW + 90 * 24 * 60 * MINUTE,
      });
      assert.equal(token.revokedAt, null);
      assert.equal(token.lastUsedAt, null);
      assert.deepEqual(await store.getApiToken(token.id), token);
      assert.deepEqual(await store.getApiTokenByHash(digest('token-1')), token);
      assert.equal(await store.getApiTokenByHash(digest('other')), undefined);

      await store.markApiTokenUsed(token.id, NOW + MINUTE);
      await store.revokeApiToken(token.id, NOW + 2 * MINUTE);
      await store.revokeApiToken(token.id, NOW + 3 * MINUTE);
      assert.deepEqual(await store.listApiTokensOfUser(ann.id), [
        { ...token, lastUsedAt: NOW + MINUTE, revokedAt: NOW + 2 * MINUTE },
      ]);
    });

    it('refuses a second token with the same hash with ERR_CONFLICT', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const ann = await person(store, 'ann@maker.example');
      const input = {
        userId: ann.id,
        organisationId: maker.id,
        name: 'ci',
        tokenHash: digest('same'),
        scopes: [],
        createdAt: NOW,
        expiresAt: NOW + MINUTE,
      };
      await store.createApiToken(input);
      await assert.rejects(store.createApiToken(input), { code: 'ERR_CONFLICT' });
    });
  });

  describe('when a one-time token is issued', () => {
    it('is consumed once, before it expires, and returns its row', async () => {
      const store = await engine.open();
      const ann = await person(store, 'ann@maker.example');
      const row = await store.createOneTimeToken({
        userId: ann.id,
        purpose: 'activation',
        tokenHash: digest('ott-1'),
        createdAt: NOW,
        expiresAt: NOW + 10 * MINUTE,
      });
      assert.equal(row.usedAt, null);
      assert.deepEqual(await store.consumeOneTimeToken(digest('ott-1'), NOW + MINUTE), {
        ...row,
        usedAt: NOW + MINUTE,
      });
      assert.equal(await store.consumeOneTimeToken(digest('ott-1'), NOW + MINUTE), undefined);
    });

    it('cannot be consumed at or after its expiry, nor when unknown', async () => {
      const store = await engine.open();
      const ann = await person(store, 'ann@maker.example');
      const expiresAt = NOW + 10 * MINUTE;
      await store.createOneTimeToken({
        userId: ann.id,
        purpose: 'reset',
        tokenHash: digest('ott-2'),
        createdAt: NOW,
        expiresAt,
      });
      assert.equal(await store.consumeOneTimeToken(digest('ott-2'), expiresAt), undefined);
      assert.equal(await store.consumeOneTimeToken(digest('unknown'), NOW), undefined);
    });

    it('is invalidated with every other unused token of the person when a new one is due', async () => {
      const store = await engine.open();
      const ann = await person(store, 'ann@maker.example');
      const bob = await person(store, 'bob@maker.example');
      const issue = (userId: string, label: string) =>
        store.createOneTimeToken({
          userId,
          purpose: 'reset',
          tokenHash: digest(label),
          createdAt: NOW,
          expiresAt: NOW + 60 * MINUTE,
        });
      await issue(ann.id, 'ann-1');
      await issue(ann.id, 'ann-2');
      await issue(bob.id, 'bob-1');

      await store.expireOneTimeTokensOfUser(ann.id, NOW + MINUTE);

      assert.equal(await store.consumeOneTimeToken(digest('ann-1'), NOW + MINUTE), undefined);
      assert.equal(await store.consumeOneTimeToken(digest('ann-2'), NOW + 2 * MINUTE), undefined);
      assert.ok(
        await store.consumeOneTimeToken(digest('bob-1'), NOW + 2 * MINUTE),
        "bob's stays valid",
      );
    });
  });

  describe('when a setup token is put', () => {
    it('replaces the unused one, and the new one is consumed once before it expires', async () => {
      const store = await engine.open();
      await store.putSetupToken({
        tokenHash: digest('setup-1'),
        createdAt: NOW,
        expiresAt: NOW + 60 * MINUTE,
      });
      const second = await store.putSetupToken({
        tokenHash: digest('setup-2'),
        createdAt: NOW + 1,
        expiresAt: NOW + 60 * MINUTE,
      });

      assert.equal(
        await store.consumeSetupToken(digest('setup-1'), NOW + MINUTE),
        undefined,
        'replaced',
      );
      assert.equal(
        await store.consumeSetupToken(digest('setup-2'), NOW + 60 * MINUTE),
        undefined,
        'expired',
      );
      assert.deepEqual(await store.consumeSetupToken(digest('setup-2'), NOW + MINUTE), {
        ...second,
        usedAt: NOW + MINUTE,
      });
      assert.equal(
        await store.consumeSetupToken(digest('setup-2'), NOW + MINUTE),
        undefined,
        'used',
      );
    });
  });
});
