import { resolve } from 'node:path';
import type { Command } from 'commander';
import { actorOf } from '@vigil/core';
import { createBackup, restoreBackup, type VigilConfig } from '@vigil/server';
import type { CliContext } from '../cli-context.js';
import { withOperatorSession } from '../operator-session.js';

interface BackupFlags {
  readonly pgBinDir?: string;
}

const PG_BIN_DIR_HELP =
  'PostgreSQL: folder holding pg_dump and pg_restore (default: found on PATH)';

/**
 * `vigil backup …`: one file holding the database and the data directory's
 * keys (see @vigil/server `createBackup`). Both acts are audit events by the
 * system, recorded in the store once the act succeeded.
 */
export function registerBackupCommands(program: Command, cli: CliContext): void {
  const backup = program.command('backup').description('Back up and restore the database and keys');

  backup
    .command('create')
    .description('Write a backup of the database and keys (the server may keep running)')
    .argument(
      '<file>',
      'Backup file to write; it holds the keys, so keep it as safe as the data directory',
    )
    .option('--pg-bin-dir <dir>', PG_BIN_DIR_HELP)
    .action(async (file: string, options: BackupFlags, command: Command) => {
      const config = cli.config(command);
      const path = resolve(cli.io.cwd, file);
      const manifest = await createBackup(storeLocation(config), path, pgOptions(options));
      await withOperatorSession(config, (s) =>
        s.services.audit.record(
          {
            type: 'backup.created',
            actor: actorOf(s.principal),
            details: {
              file: path,
              engine: manifest.engine,
              schemaVersion: manifest.schemaVersion,
              dumpSha256: manifest.dump.sha256,
            },
          },
          s.context,
        ),
      );
      cli.out.result({ file: path, manifest }, () => [
        `Backup written to ${path}`,
        `  ${manifest.engine} database, schema version ${manifest.schemaVersion}, ${manifest.rowCounts.users} people, ${manifest.rowCounts.audit_events} audit events, ${manifest.files.length} key file(s).`,
        'It holds the keys: keep it as safe as the data directory.',
      ]);
    });

  backup
    .command('restore')
    .description('Restore a backup into an empty data directory or database (server stopped)')
    .argument('<file>', 'Backup file to read')
    .option('--pg-bin-dir <dir>', PG_BIN_DIR_HELP)
    .action(async (file: string, options: BackupFlags, command: Command) => {
      const config = cli.config(command);
      const path = resolve(cli.io.cwd, file);
      const manifest = await restoreBackup(storeLocation(config), path, pgOptions(options));
      await withOperatorSession(config, (s) =>
        s.services.audit.record(
          {
            type: 'backup.restored',
            actor: actorOf(s.principal),
            details: {
              file: path,
              backupCreatedAt: manifest.createdAt,
              schemaVersion: manifest.schemaVersion,
            },
          },
          s.context,
        ),
      );
      cli.out.result({ file: path, manifest }, () => [
        `Restored the backup of ${manifest.createdAt} into ${config.databaseUrl === null ? config.dataDir : 'the PostgreSQL database'}.`,
        'Start the server with `vigil serve`.',
      ]);
    });
}

function storeLocation(config: VigilConfig): { dataDir: string; databaseUrl: string | null } {
  return { dataDir: config.dataDir, databaseUrl: config.databaseUrl };
}

function pgOptions(options: BackupFlags): { pgBinDir?: string } {
  return options.pgBinDir === undefined ? {} : { pgBinDir: options.pgBinDir };
}
