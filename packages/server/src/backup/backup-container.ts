import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VigilError } from '@vigil/core';
import {
  BACKUP_FORMAT_VERSION,
  parseBackupManifest,
  type BackupManifest,
} from './backup-manifest.js';

/**
 * The backup file (ADR 0003): one self-describing file, readable with `head`.
 *
 *     VIGIL-BACKUP/1 <manifest length> <manifest SHA-256>\n
 *     <manifest: UTF-8 JSON, that many bytes>
 *     <dump bytes><file 1 bytes>…<file n bytes>
 *
 * Every part's size and SHA-256 is in the manifest, whose own digest is in
 * the first line, so one flipped bit anywhere is detected before restore
 * touches the target.
 */
const MAGIC = 'VIGIL-BACKUP';
const HEADER = /^VIGIL-BACKUP\/(\d+) (\d+) ([0-9a-f]{64})$/;
/** Longest first line we look for, in bytes. */
const MAX_HEADER_BYTES = 200;
/** A manifest beyond this many bytes is not one we wrote. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Writes the container: to `<target>.partial` (owner-only, as it holds the
 * keys), fsynced, then renamed, so `target` is either the old file or a
 * complete new one. `payload` lists the local files in manifest order.
 */
export async function writeBackupContainer(
  target: string,
  manifest: BackupManifest,
  payload: readonly string[],
): Promise<void> {
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const header = `${MAGIC}/${BACKUP_FORMAT_VERSION} ${manifestBytes.length} ${sha256Hex(manifestBytes)}\n`;
  const partial = `${target}.partial`;
  await rm(partial, { force: true });
  const out = await open(partial, 'wx', 0o600);
  try {
    await out.write(Buffer.from(header, 'ascii'));
    await out.write(manifestBytes);
    for (const file of payload) {
      for await (const chunk of createReadStream(file)) await out.write(chunk as Buffer);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(partial, target);
}

export interface OpenedBackup {
  readonly file: string;
  readonly manifest: BackupManifest;
  /** Byte offset of the dump, the first payload part. */
  readonly payloadOffset: number;
}

/** Reads and checks the first line and the manifest; the payload is checked by `extractPayload`. */
export async function readBackupManifest(file: string): Promise<OpenedBackup> {
  let input;
  try {
    input = await open(file, 'r');
  } catch (cause) {
    throw new VigilError('ERR_BACKUP_INVALID', `Cannot read the backup ${file}.`, { cause });
  }
  try {
    const head = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await input.read(head, 0, head.length, 0);
    const newline = head.subarray(0, bytesRead).indexOf(0x0a);
    const match = newline < 0 ? null : HEADER.exec(head.subarray(0, newline).toString('ascii'));
    if (!match) throw invalid('it does not start with a Vigil backup header');
    const [, version, lengthText, digest] = match;
    if (Number(version) !== BACKUP_FORMAT_VERSION)
      throw invalid(`format version ${version} is unknown`);
    const length = Number(lengthText);
    if (length > MAX_MANIFEST_BYTES) throw invalid('the manifest is implausibly large');
    const manifestBytes = Buffer.alloc(length);
    const read = await input.read(manifestBytes, 0, length, newline + 1);
    if (read.bytesRead !== length || sha256Hex(manifestBytes) !== digest) {
      throw invalid('the manifest does not match its digest');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifestBytes.toString('utf8'));
    } catch (cause) {
      throw invalid('the manifest is not JSON', cause);
    }
    const manifest = parseBackupManifest(parsed);
    const payloadOffset = newline + 1 + length;
    const expected = [manifest.dump, ...manifest.files].reduce(
      (sum, p) => sum + p.size,
      payloadOffset,
    );
    if ((await input.stat()).size !== expected) throw invalid('it is truncated or has extra bytes');
    return { file, manifest, payloadOffset };
  } finally {
    await input.close();
  }
}

export interface ExtractedPayload {
  readonly dump: string;
  /** Local copies, in the order of `manifest.files`. */
  readonly files: readonly string[];
}

/**
 * Copies every payload part into `dir` while hashing it, and fails with
 * ERR_BACKUP_INVALID unless each matches the manifest. Restore works only
 * from these verified copies, never from the backup file again.
 */
export async function extractPayload(backup: OpenedBackup, dir: string): Promise<ExtractedPayload> {
  const parts = [backup.manifest.dump, ...backup.manifest.files];
  const copies: string[] = [];
  let offset = backup.payloadOffset;
  for (const [index, part] of parts.entries()) {
    const copy = join(dir, `part-${index}`);
    const hash = createHash('sha256');
    const source: Readable =
      part.size === 0
        ? Readable.from([])
        : createReadStream(backup.file, { start: offset, end: offset + part.size - 1 });
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(copy, { mode: 0o600 }),
    );
    if ((await stat(copy)).size !== part.size || hash.digest('hex') !== part.sha256) {
      throw invalid(
        index === 0
          ? 'the database dump fails its SHA-256 check'
          : `${backup.manifest.files[index - 1]?.path} fails its SHA-256 check`,
      );
    }
    copies.push(copy);
    offset += part.size;
  }
  const [dump, ...files] = copies;
  if (dump === undefined) throw invalid('it holds no database dump');
  return { dump, files };
}

function invalid(reason: string, cause?: unknown): VigilError {
  return new VigilError('ERR_BACKUP_INVALID', `The backup is unusable: ${reason}.`, { cause });
}
