import fc from 'fast-check';
import type { RawHttpAnswer } from './raw-tls-server.js';

// fast-check arbitraries for telemetry-fuzz.test.ts: what a server (or anything in
// between) could send back over TLS, byte for byte (see RawTlsServer, which sends it).

const statusLine = fc.oneof(
  { arbitrary: fc.integer({ min: 100, max: 599 }).map((s) => `HTTP/1.1 ${s} Fuzz\r\n`), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      'HTTP/1.1 101 Switching Protocols\r\n',
      'HTTP/1.1 100 Continue\r\n',
      'HTTP/1.1 103 Early Hints\r\n',
      'HTTP/1.0 200 OK\r\n',
      'HTTP/1.1 200\r\n',
      'HTTP/1.1 000 Zero\r\n',
      'HTTP/1.1 99 Low\r\n',
      'HTTP/1.1 1000 High\r\n',
      'HTTP/2 200\r\n',
      'ICY 200 OK\r\n',
      'garbage\r\n',
      '',
    ),
    weight: 2,
  },
);

const headerLine = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'Content-Type: application/json',
      'Content-Type: application/problem+json',
      'Connection: upgrade',
      'Upgrade: websocket',
      'Connection: close',
      'Connection: keep-alive',
      'Transfer-Encoding: chunked',
      'Content-Length: 0',
      'Content-Length: 5',
      'Content-Length: 20000',
      'Content-Length: 99999999999',
      'Content-Length: -1',
      'Content-Length: abc',
      'Content-Length: 3, 4',
      'X-Repeated: a',
      'X-Repeated: b',
      ' folded',
      'no-colon',
    ),
    weight: 3,
  },
  fc
    .tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.string({ maxLength: 40 }))
    .map(([name, value]) => `${name}: ${value}`),
);

const rawBody = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '5\r\nhello\r\n0\r\n\r\n',
    '5\r\nhe',
    'zz\r\n',
    '{"status":"stored","sequence":1}',
  ),
  fc.integer({ min: 16_000, max: 40_000 }).map((n) => 'x'.repeat(n)),
);

/** Header sets that mean something together (an upgrade; length and chunking at once). */
const headerSet = fc.constantFrom(
  ['Connection: upgrade', 'Upgrade: websocket'],
  ['Connection: Upgrade', 'Upgrade: h2c', 'Content-Length: 5'],
  ['Transfer-Encoding: chunked', 'Content-Length: 5'],
  ['Content-Length: 5', 'Content-Length: 6'],
  ['Content-Type: application/json', 'Content-Length: 32'],
);

/** A raw HTTP/1.1 answer: any status line, headers that lie or conflict, bodies cut short. */
export const rawHttpAnswer: fc.Arbitrary<RawHttpAnswer> = fc.record({
  statusLine,
  headers: fc.oneof(
    { arbitrary: fc.array(headerLine, { maxLength: 5 }), weight: 3 },
    { arbitrary: headerSet, weight: 1 },
  ),
  body: rawBody,
  then: fc.oneof(
    { arbitrary: fc.constantFrom('end' as const, 'destroy' as const), weight: 6 },
    { arbitrary: fc.constant('hold' as const), weight: 1 },
  ),
});
