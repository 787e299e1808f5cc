/** What every service call knows about the request that caused it, for audit events. */
export interface RequestContext {
  readonly requestId: string;
  readonly sourceIp: string;
  readonly userAgent?: string;
}

/** For acts not caused by a request: start-up, CLI commands. */
export function systemContext(requestId = 'system'): RequestContext {
  return { requestId, sourceIp: '127.0.0.1' };
}
