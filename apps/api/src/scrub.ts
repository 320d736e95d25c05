/**
 * @module scrub — the one function that takes secrets out of an error text before it reaches a log line, a
 * delivery record or an API answer: the known secrets of the thing at hand (a channel's key, token, URL
 * credentials and URL path tokens) and anything that looks like one (URL credentials, bearer tokens,
 * `whsec_` keys, `hwt_` API tokens).
 */

const REDACTED = '[REDACTED]';

/** Shapes of secrets, whoever they belong to. */
const SECRET_SHAPES: readonly [RegExp, string][] = [
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, `$1${REDACTED}@`],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${REDACTED}`],
  [/\bhwt_[A-Za-z0-9_-]+/g, `hwt_${REDACTED}`],
];

/** Shorter values are not searched for (they would match ordinary words). */
const MIN_SECRET_LENGTH = 4;

/**
 * `text` with every one of `secrets` (and every secret-shaped piece) replaced by `[REDACTED]`; CR, LF and
 * other control characters become spaces, so nothing can forge a log line either.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const known = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  for (const secret of known) {
    out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out.replace(/\p{Cc}/gu, ' ');
}

/**
 * The secrets in a notification channel's stored config: its signing key and token, the user name and
 * password of its URL, its query values and its long path segments (Slack and Discord put their key there).
 */
export function channelSecrets(config: Record<string, unknown>): string[] {
  const secrets: string[] = [];
  for (const key of ['secret', 'token'] as const) {
    const value = config[key];
    if (typeof value === 'string') secrets.push(value);
  }
  if (typeof config.url === 'string') {
    try {
      const url = new URL(config.url);
      secrets.push(url.username, url.password, safeDecode(url.username), safeDecode(url.password));
      for (const value of url.searchParams.values()) secrets.push(value);
      for (const segment of url.pathname.split('/')) if (segment.length > 12) secrets.push(segment);
    } catch {
      secrets.push(config.url);
    }
  }
  return secrets.filter(Boolean);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
