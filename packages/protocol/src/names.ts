/**
 * @module names — free-text names people give things (organizations, hosts, API tokens, alert rules and
 * channels): one schema, so every name refuses the same characters. Names end up in e-mail subjects, chat
 * messages, logs and terminals, where a control character (CR/LF, ESC, TAB, C1) or a bidirectional override
 * would forge lines or hide what the text says.
 */
import { z } from 'zod';

/** C0 controls (U+0000–U+001F, CR, LF and TAB included), DEL and C1 (U+007F–U+009F), bidi overrides and isolates. */
export const UNSAFE_TEXT_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

export const UNSAFE_TEXT_MESSAGE =
  'must not contain control characters (such as line breaks or tabs) or bidirectional overrides';

/** True when `text` holds none of `UNSAFE_TEXT_CHARACTERS`. */
export function isSafeText(text: string): boolean {
  return !UNSAFE_TEXT_CHARACTERS.test(text);
}

/** A name as a person types it: 1-100 characters after trimming, none of them unsafe (checked before trimming). */
export const DisplayName = z
  .string()
  .refine(isSafeText, UNSAFE_TEXT_MESSAGE)
  .trim()
  .min(1, 'must not be empty')
  .max(100);
export type DisplayName = z.infer<typeof DisplayName>;
