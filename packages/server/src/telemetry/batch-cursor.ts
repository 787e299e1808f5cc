import { VigilError } from '@vigil/core';
import type { BatchCursor } from '../store/telemetry-store.js';

/**
 * The `next` / `after` cursor of `GET …/batches`: the (fromAt, id) of the last
 * batch of a page, so the next page starts strictly after it (keyset paging,
 * stable while batches arrive). Opaque to callers: base64url of `<fromAt>.<id>`.
 */
export function encodeBatchCursor(cursor: BatchCursor): string {
  return Buffer.from(`${cursor.fromAt}.${cursor.id}`, 'utf8').toString('base64url');
}

/** @throws VigilError ERR_REQUEST_INVALID for anything `encodeBatchCursor` did not write. */
export function decodeBatchCursor(text: string): BatchCursor {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(
    Buffer.from(text, 'base64url').toString('utf8'),
  );
  const fromAt = Number(match?.[1]);
  if (!match?.[2] || !Number.isSafeInteger(fromAt)) {
    throw new VigilError('ERR_REQUEST_INVALID', 'after must be the `next` of a previous page.');
  }
  return { fromAt, id: match[2] };
}
