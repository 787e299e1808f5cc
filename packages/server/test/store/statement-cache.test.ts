import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { tempDir } from '@vigil/testkit';
import { openSqliteDatabase, withStatementCache } from '../../src/store/sqlite/sqlite-dialect.js';

it('the SQLite statement cache reuses a statement per SQL text and drops the least recently used', async (t) => {
  const db = withStatementCache(openSqliteDatabase(join(await tempDir(t), 'cache.sqlite')), 2);
  try {
    const a = db.prepare('SELECT 1 AS one');
    assert.equal(db.prepare('SELECT 1 AS one'), a, 'same text, same statement');
    const b = db.prepare('SELECT 2 AS two');
    db.prepare('SELECT 1 AS one'); // touch a: b is now the least recently used
    db.prepare('SELECT 3 AS three'); // evicts b
    assert.equal(db.prepare('SELECT 1 AS one'), a);
    assert.notEqual(db.prepare('SELECT 2 AS two'), b, 'b was dropped and prepared anew');
    assert.deepEqual(db.prepare('SELECT 1 AS one').all([]), [{ one: 1 }]);
  } finally {
    db.close();
  }
});
