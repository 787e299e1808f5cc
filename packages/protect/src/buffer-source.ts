/**
 * WebCrypto takes `BufferSource`, which the DOM typings (TypeScript ≥ 5.7) limit to
 * views over a plain ArrayBuffer. Bytes from jose or TextEncoder are typed over
 * `ArrayBufferLike`; this narrows them, copying only a view over a SharedArrayBuffer.
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? (bytes as Uint8Array<ArrayBuffer>)
    : new Uint8Array(bytes);
}
