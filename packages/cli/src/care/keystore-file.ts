import { homedir } from 'node:os';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { VigilError } from '@vigil/core';
import { openKeystore, sealKeystore, type KeystoreContents } from '@vigil/protect';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The user's configuration directory, as each platform defines it: XDG Base
 * Directory `$XDG_CONFIG_HOME` (default `~/.config`), `~/Library/Application
 * Support` on macOS, `%APPDATA%` on Windows.
 */
export function userConfigDir(env: Env, platform: NodeJS.Platform = process.platform): string {
  const home = env['HOME'] ?? env['USERPROFILE'] ?? homedir();
  if (platform === 'win32') return env['APPDATA'] ?? join(home, 'AppData', 'Roaming');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support');
  return env['XDG_CONFIG_HOME'] || join(home, '.config');
}

/** `<config dir>/vigil/keystores/<organisation id>.json`: one keystore per care organisation. */
export function defaultKeystorePath(env: Env, organisationId: string): string {
  const safe = organisationId.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(userConfigDir(env), 'vigil', 'keystores', `${safe}.json`);
}

/** A keystore file on this machine: read and sealed with a passphrase, written mode 0600. */
export class KeystoreFile {
  constructor(
    readonly path: string,
    readonly organisationId: string,
  ) {}

  static at(cwd: string, file: string | undefined, env: Env, organisationId: string) {
    return new KeystoreFile(
      file === undefined ? defaultKeystorePath(env, organisationId) : resolve(cwd, file),
      organisationId,
    );
  }

  /** The sealed text, or null when there is no file yet. */
  async text(): Promise<string | null> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * Opens the keystore and checks that it is the organisation's.
   *
   * @throws VigilError ERR_KEYSTORE_* (ERR_KEYSTORE_ORGANISATION for another organisation's).
   */
  async open(text: string, passphrase: string): Promise<KeystoreContents> {
    const contents = await openKeystore(text, passphrase);
    if (contents.organisationId !== this.organisationId) {
      throw new VigilError(
        'ERR_KEYSTORE_ORGANISATION',
        `${this.path} belongs to organisation ${contents.organisationId}, not ${this.organisationId}.`,
      );
    }
    return contents;
  }

  /**
   * Seals and writes the keystore atomically: a new 0600 file beside it, synced,
   * then renamed over the old one, so a crash leaves the old or the new keystore,
   * never half of one. The directory is made 0700 if it does not exist.
   */
  async write(contents: KeystoreContents, passphrase: string): Promise<void> {
    const text = await sealKeystore(passphrase, contents);
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    await rename(temporary, this.path);
    await chmod(this.path, 0o600);
  }
}
