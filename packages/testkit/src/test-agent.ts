import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface AgentResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: LightMyRequestResponse['headers'];
  /** The problem `code` of an error answer, if any. */
  readonly code: string | undefined;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A browser-like client for `app.inject()`: keeps the session cookie and the
 * CSRF token from the last answer that carried them, and sends both the way
 * the web app does. Or acts as automation with a bearer token.
 */
export class TestAgent {
  cookie: string | undefined;
  csrfToken: string | undefined;
  bearer: string | undefined;
  /** Send X-CSRF-Token on unsafe requests (turn off to test CSRF refusal). */
  sendCsrf = true;

  constructor(
    private readonly app: FastifyInstance,
    readonly sourceIp = '127.0.0.1',
  ) {}

  static withToken(app: FastifyInstance, token: string): TestAgent {
    const agent = new TestAgent(app);
    agent.bearer = token;
    return agent;
  }

  async request(
    method: Method,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<AgentResponse> {
    const all: Record<string, string> = { 'user-agent': 'vigil-test', ...headers };
    if (this.cookie) all['cookie'] = `__Host-vigil_session=${this.cookie}`;
    if (this.bearer) all['authorization'] = `Bearer ${this.bearer}`;
    if (this.sendCsrf && this.csrfToken && method !== 'GET') all['x-csrf-token'] = this.csrfToken;
    const response = await this.app.inject({
      method,
      url,
      headers: all,
      remoteAddress: this.sourceIp,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const setCookie = response.cookies.find((c) => c.name === '__Host-vigil_session');
    if (setCookie) this.cookie = setCookie.value === '' ? undefined : setCookie.value;
    let parsed: unknown = response.body;
    if ((response.headers['content-type'] ?? '').toString().includes('json') && response.body) {
      parsed = JSON.parse(response.body);
    }
    const record =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    if (typeof record['csrfToken'] === 'string') this.csrfToken = record['csrfToken'];
    const session = record['session'] as Record<string, unknown> | undefined;
    if (typeof session?.['csrfToken'] === 'string') this.csrfToken = session['csrfToken'];
    return {
      status: response.statusCode,
      body: parsed,
      headers: response.headers,
      code: typeof record['code'] === 'string' ? record['code'] : undefined,
      json: <T>() => parsed as T,
    };
  }

  get(url: string) {
    return this.request('GET', url);
  }
  post(url: string, body?: unknown) {
    return this.request('POST', url, body);
  }
  patch(url: string, body?: unknown) {
    return this.request('PATCH', url, body);
  }
  delete(url: string, body?: unknown) {
    return this.request('DELETE', url, body);
  }
}
