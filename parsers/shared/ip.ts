/**
 * Cheap IP address recognition, so that host names such as `ec2.amazonaws.com` never land in
 * `src_ip`.
 */

/** True when `s` from `start` to `end` is a dotted-quad IPv4 address, without leading zeros. */
function ipv4Between(s: string, start: number, end: number): boolean {
  let parts = 0;
  let value = 0;
  let len = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (len === 0 || value > 255) return false;
      parts++;
      value = 0;
      len = 0;
    } else if (c >= 48 && c <= 57 && len < 3 && !(len === 1 && value === 0)) {
      // no leading zero: `01.2.3.4` is octal to some readers, and AWS never writes it
      value = value * 10 + (c - 48);
      len++;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** True for a dotted-quad IPv4 address. */
export function isIPv4(s: string): boolean {
  return ipv4Between(s, 0, s.length);
}

/** True for an IPv6 address (hex groups with `:`, one `::`, optional trailing IPv4). */
export function isIPv6(s: string): boolean {
  const n = s.length;
  if (n < 2 || n > 45 || s.indexOf(':') < 0) return false;
  const double = s.indexOf('::');
  if (double >= 0 && s.indexOf('::', double + 1) >= 0) return false;
  // A colon may open or close the address only as part of `::` (`:1::`, `1::2:` are not addresses).
  if ((s.charCodeAt(0) === 58 && double !== 0) || (s.charCodeAt(n - 1) === 58 && double !== n - 2)) return false;
  // Group by group between the colons, in place: no `split` array, no regex per group.
  let count = 0;
  let start = 0;
  for (;;) {
    const colon = s.indexOf(':', start);
    const end = colon < 0 ? n : colon;
    if (end > start) {
      if (colon < 0 && s.indexOf('.', start) >= 0) {
        if (!ipv4Between(s, start, end)) return false;
        count += 2;
      } else {
        if (end - start > 4) return false;
        for (let i = start; i < end; i++) {
          const c = s.charCodeAt(i);
          const lower = c | 0x20;
          if (!((c >= 48 && c <= 57) || (lower >= 97 && lower <= 102))) return false;
        }
        count++;
      }
    }
    if (colon < 0) break;
    start = colon + 1;
  }
  return double >= 0 ? count < 8 : count === 8;
}

/** True for an IPv4 or IPv6 address. */
export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** An address and port taken apart. */
export interface HostPort {
  readonly ip: string;
  readonly port: number;
}

/**
 * Splits `ip:port` for IPv4 (`10.0.0.1:80`), bracketed IPv6 (`[2001:db8::1]:443`) and the
 * unbracketed IPv6 form load balancers really write (`2601:…:6bbc:50599`, the port being the
 * group after the last colon). Null when the text is not an IP address with a port 0–65535.
 */
export function splitHostPort(s: string): HostPort | null {
  const n = s.length;
  let ip: string;
  let portStart: number;
  if (s.charCodeAt(0) === 91) {
    const close = s.indexOf(']:');
    if (close < 0) return null;
    ip = s.slice(1, close);
    portStart = close + 2;
  } else {
    // The port is at most 5 digits, so the last colon is among the last 6 characters or the
    // text has no port; a short backward scan instead of `lastIndexOf`, a runtime call.
    let colon = -1;
    for (let i = n - 1; i >= 0 && i >= n - 6; i--) {
      if (s.charCodeAt(i) === 58) {
        colon = i;
        break;
      }
    }
    if (colon <= 0) return null;
    ip = s.slice(0, colon);
    portStart = colon + 1;
  }
  const len = n - portStart;
  if (len < 1 || len > 5) return null;
  let port = 0;
  for (let i = portStart; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    port = port * 10 + d;
  }
  if (port > 65535 || !isIP(ip)) return null;
  return { ip, port };
}
