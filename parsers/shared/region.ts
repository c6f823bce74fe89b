/** AWS region names as they appear inside other values (availability zones), shared by Config and the billing reports. */

/** An availability zone: a region (`us-east-1`, `us-gov-west-1`, `us-iso-east-1`) and one letter. */
const AZ = /^([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)[a-z]$/;

/** `us-east-1` from `us-east-1a`; null for anything that is not an availability zone. */
export function regionOfZone(zone: string): string | null {
  const m = AZ.exec(zone);
  return m ? (m[1] as string) : null;
}
