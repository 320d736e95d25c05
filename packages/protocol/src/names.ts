/**
 * @module names — free-text names people give things (organizations, hosts, API tokens, alert rules and
 * channels): one schema, so every name refuses the same characters. Names end up in e-mail subjects, chat
 * messages, logs and terminals, where a control character (CR/LF, ESC, TAB, C1) or a bidirectional override
 * would forge lines or hide what the text says.
 */
import { z } from 'zod';

/**
 * The refused code points, inclusive: C0 controls (CR, LF and TAB included), DEL and C1, bidi embeddings and
 * overrides, bidi isolates. All are in the BMP, so UTF-16 code units can be compared directly.
 */
export const UNSAFE_TEXT_RANGES = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
] as const;

export const UNSAFE_TEXT_MESSAGE =
  'must not contain control characters (such as line breaks or tabs) or bidirectional overrides';

/** True when `text` holds no code point of `UNSAFE_TEXT_RANGES` (linear in its length). */
export function isSafeText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    for (const [from, to] of UNSAFE_TEXT_RANGES) if (unit >= from && unit <= to) return false;
  }
  return true;
}

/** A name as a person types it: 1-100 characters after trimming, none of them unsafe (checked before trimming). */
export const DisplayName = z
  .string()
  .refine(isSafeText, UNSAFE_TEXT_MESSAGE)
  .trim()
  .min(1, 'must not be empty')
  .max(100);
export type DisplayName = z.infer<typeof DisplayName>;
