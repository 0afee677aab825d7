/**
 * Byte strings: a string whose every character is one byte (char code 0–255). They make fast,
 * hashable Map keys for byte sequences, and slicing one is slicing the bytes.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** The UTF-8 bytes of a text as a byte string. ASCII text is its own byte string. */
export function utf8ByteString(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range starts at NUL
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return bytesToByteString(encoder.encode(text));
}

export function bytesToByteString(bytes: Uint8Array): string {
  let out = '';
  // In slices, so String.fromCharCode never gets more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

export function byteStringToBytes(byteString: string): Uint8Array {
  const bytes = new Uint8Array(byteString.length);
  for (let i = 0; i < byteString.length; i++) bytes[i] = byteString.charCodeAt(i);
  return bytes;
}

/** Decodes UTF-8 bytes (as a byte string); invalid sequences become U+FFFD, as in tiktoken. */
export function decodeByteString(byteString: string): string {
  return decoder.decode(byteStringToBytes(byteString));
}
