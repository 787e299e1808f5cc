/**
 * Backups: one file holding the database and the data directory's keys,
 * with a manifest that restore verifies before and after (ADR 0003).
 */
export { createBackup, type BackupOptions } from './create-backup.js';
export { restoreBackup } from './restore-backup.js';
export { readBackupManifest, type OpenedBackup } from './backup-container.js';
export {
  BACKUP_FORMAT_VERSION,
  type BackupFile,
  type BackupManifest,
  type BackupPart,
} from './backup-manifest.js';
export type { PgToolOptions } from './pg-tools.js';
