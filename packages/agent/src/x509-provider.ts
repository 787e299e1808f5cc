/**
 * The one place that prepares @peculiar/x509 for node. Import `x509` from here,
 * never from the package directly, so the two prerequisites below always run
 * first (the same arrangement as the server's tls/x509-provider.ts).
 */
// @peculiar/x509 resolves its ASN.1 serialisers through tsyringe, which needs a
// Reflect metadata polyfill loaded before the library itself.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// The library defaults to `globalThis.crypto`; set node's WebCrypto explicitly so
// behaviour does not depend on the Node version exposing a global.
x509.cryptoProvider.set(webcrypto);

export { x509 };
