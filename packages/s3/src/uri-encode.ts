/**
 * The percent-encoding of AWS Signature V4 (and of S3's `encoding-type=url`): every byte of the
 * UTF-8 encoding is escaped as `%XX` (upper-case hex) except the unreserved characters
 * `A-Z a-z 0-9 - . _ ~`, and `/` too when encoding a path. Canonical requests are built from the
 * decoded path and query, re-encoded this way, so how a client chose to escape its URL does not
 * matter as long as it means the same bytes.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

export function awsUriEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const char of text) {
    if (UNRESERVED.test(char) || (keepSlash && char === '/')) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * Decodes a percent-encoded URL component (a query's `+` stays a `+`, as S3 reads it). Undefined
 * when the escapes are malformed or not UTF-8.
 */
export function uriDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
