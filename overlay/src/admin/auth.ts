// Who may change the overlay through the admin endpoint: loopback detection and the bearer token check.
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Minimum token length, as in the config schema (admin.token). */
export const MIN_TOKEN_LENGTH = 16;

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for 127.0.0.0/8, ::1 (any spelling, also IPv4-mapped 127.x and bracketed "[::1]") and "localhost".
 * Anything else, including 0.0.0.0 and ::, is not loopback: it binds every interface.
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h === 'localhost.') return true;
  if (isIPv4(h)) return loopback.check(h, 'ipv4');
  if (isIPv6(h)) return loopback.check(h, 'ipv6');
  return false;
}

/** The host name of a Host header ("a:1", "[::1]:1", "a"), or undefined when it has none. */
export function hostOfHostHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : undefined;
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 7235), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m?.[1];
}

/**
 * A constant-time checker for one expected token. Both sides are hashed with SHA-256 first, so the comparison
 * (crypto.timingSafeEqual) runs on equal-length digests and leaks neither content nor length of the token.
 */
export function tokenChecker(expected: string): (given: string | undefined) => boolean {
  const want = createHash('sha256').update(expected, 'utf8').digest();
  return (given) => {
    const got = createHash('sha256').update(given ?? '', 'utf8').digest();
    // Evaluate the comparison even when `given` is missing, so both paths cost the same.
    const same = timingSafeEqual(got, want);
    return given !== undefined && same;
  };
}
