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
