/**
 * The slice of a logger the store uses (a pino logger fits). The store logs
 * only what an operator needs: migrations applied and lost connections.
 */
export interface StoreLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}
