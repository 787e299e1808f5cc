import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protect from '@vigil/protect';

describe('@vigil/protect batch exports', () => {
  it('exports the batch envelope API', () => {
    for (const name of [
      'BATCH_JWE_TYPE',
      'BATCH_JWS_TYPE',
      'DATA_KEY_JWE_TYPE',
      'newDataKey',
      'openBatch',
      'protectBatch',
      'structureOfBatch',
      'unwrapDataKey',
    ]) {
      assert.ok(name in protect, name);
    }
  });

  it('keeps the header parser and canonical JSON internal', () => {
    for (const name of ['canonicalJson', 'parseBatchHeader', 'observationsBelongTo']) {
      assert.ok(!(name in protect), name);
    }
  });
});
