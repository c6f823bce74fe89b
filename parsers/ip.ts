/**
 * Cheap IP address recognition, so that host names such as `ec2.amazonaws.com` never land in
 * `src_ip`.
 */

/** True for a dotted-quad IPv4 address. */
export function isIPv4(s: string): boolean {
  let parts = 0;
  let value = 0;
  let len = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (len === 0 || value > 255) return false;
      parts++;
      value = 0;
      len = 0;
    } else if (c >= 48 && c <= 57 && len < 3) {
      value = value * 10 + (c - 48);
      len++;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** True for an IPv6 address (hex groups with `:`, one `::`, optional trailing IPv4). */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45 || s.indexOf(':') < 0) return false;
  const double = s.indexOf('::');
  if (double >= 0 && s.indexOf('::', double + 1) >= 0) return false;
  const groups = s.split(':');
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    if (g === '') continue;
    if (i === groups.length - 1 && g.includes('.')) {
      if (!isIPv4(g)) return false;
      count += 2;
      continue;
    }
    if (g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return false;
    count++;
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
  let ip: string;
  let portStart: number;
  if (s.charCodeAt(0) === 91) {
    const close = s.indexOf(']:');
    if (close < 0) return null;
    ip = s.slice(1, close);
    portStart = close + 2;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon <= 0) return null;
    ip = s.slice(0, colon);
    portStart = colon + 1;
  }
  const len = s.length - portStart;
  if (len < 1 || len > 5) return null;
  let port = 0;
  for (let i = portStart; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    port = port * 10 + d;
  }
  if (port > 65535 || !isIP(ip)) return null;
  return { ip, port };
}
