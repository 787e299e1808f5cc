import { VigilError, type Organisation, type Principal } from '@vigil/core';
import {
  createServices,
  openStore,
  systemContext,
  type RequestContext,
  type Services,
  type Store,
  type User,
  type VigilConfig,
} from '@vigil/server';

/**
 * Whoever runs `vigil` on the server with access to its data directory can
 * already read and change everything there, so the CLI acts as the
 * `operator` principal: authorised in every organisation, audited as
 * `system` (see @vigil/core `Principal`).
 */
export const OPERATOR: Principal = { kind: 'operator', userId: null, memberships: [] };

/** Audit context of every act done from the command line. */
export const CLI_CONTEXT: RequestContext = systemContext('cli');

/** The store and services of one CLI command, and the look-ups operator commands share. */
export class OperatorSession {
  readonly principal = OPERATOR;
  readonly context = CLI_CONTEXT;

  constructor(
    readonly store: Store,
    readonly services: Services,
  ) {}

  /** `--org <id>` when given, otherwise the manufacturer organisation. */
  async organisation(id: string | undefined): Promise<Organisation> {
    if (id === undefined) return this.manufacturer();
    const organisation = await this.store.getOrganisation(id);
    if (!organisation)
      throw new VigilError(
        'ERR_NOT_FOUND',
        `No organisation with id ${id}; see \`vigil org list\`.`,
      );
    return organisation;
  }

  /** The manufacturer organisation that first-run setup created (there is exactly one). */
  async manufacturer(): Promise<Organisation> {
    const [manufacturer] = await this.store.listOrganisations('manufacturer');
    if (!manufacturer) {
      throw new VigilError(
        'ERR_NOT_FOUND',
        'Setup has not been completed yet; run `vigil setup` and open the link it prints.',
      );
    }
    return manufacturer;
  }

  async userByEmail(email: string): Promise<User> {
    // The same normalisation as the server's sign-in and user creation.
    const user = await this.store.getUserByEmail(email.trim().toLowerCase());
    if (!user) throw new VigilError('ERR_NOT_FOUND', `No person with the email ${email}.`);
    return user;
  }
}

/** Opens the store (applying migrations), builds the services, runs `fn`, and always closes the store. */
export async function withOperatorSession<T>(
  config: VigilConfig,
  fn: (session: OperatorSession) => Promise<T>,
): Promise<T> {
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    return await fn(new OperatorSession(store, createServices(config, store)));
  } finally {
    await store.close();
  }
}
