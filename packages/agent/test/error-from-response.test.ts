import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorFromResponse, type TransportResponse } from '@vigil/agent';

const answer = (status: number, contentType: string, body: string): TransportResponse => ({
  status,
  headers: { 'content-type': contentType },
  body: Buffer.from(body),
});

describe('errorFromResponse', () => {
  it("passes the server's problem code, status and details through (RFC 9457)", () => {
    const problem = {
      type: 'urn:vigil:problem:ERR_DEVICE_REVOKED',
      title: 'The device has been revoked.',
      status: 403,
      code: 'ERR_DEVICE_REVOKED',
      requestId: 'req-1',
    };
    const error = errorFromResponse(
      answer(403, 'application/problem+json; charset=utf-8', JSON.stringify(problem)),
    );
    assert.equal(error.code, 'ERR_DEVICE_REVOKED');
    assert.equal(error.status, 403);
    assert.equal(error.message, 'The device has been revoked.');
    assert.equal(error.details?.['requestId'], 'req-1');
  });

  it('reports an answer without problem details as ERR_AGENT_HTTP_STATUS', () => {
    const error = errorFromResponse(answer(502, 'text/html', '<h1>Bad gateway</h1>'));
    assert.equal(error.code, 'ERR_AGENT_HTTP_STATUS');
    assert.equal(error.status, 502);
  });

  it('does not trust a code that is not ERR_<UPPER_SNAKE>', () => {
    const body = JSON.stringify({ code: 'hello <script>', title: 'x' });
    assert.equal(
      errorFromResponse(answer(400, 'application/problem+json', body)).code,
      'ERR_AGENT_HTTP_STATUS',
    );
  });
});
