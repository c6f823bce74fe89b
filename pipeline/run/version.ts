/**
 * The project's version and the user-agent mark its AWS requests carry. The mark is how the
 * pipeline recognizes its own reads in S3 access logs and CloudTrail data events (DESIGN: the
 * pipeline's own traffic), so it is defined once, beside the version it embeds.
 */
import pkg from '../../package.json' with { type: 'json' };

/** The package version, e.g. `0.1.0`. */
export const LOGLAKE_VERSION: string = pkg.version;

/**
 * `loglake/<version>`: appended to the user agent of every AWS client (SDK `customUserAgent`).
 * It starts with `SELF_USER_AGENT_MARK`, which is what the self-traffic filter looks for.
 */
export const LOGLAKE_USER_AGENT = `loglake/${LOGLAKE_VERSION}`;
