/**
 * @module testing — the one `waitFor` every test suite uses (API, agent, web, cross-app flows, e2e) to wait
 * on a condition instead of sleeping. Imported as `@hostwire/protocol/testing`; not part of the protocol.
 */

/**
 * Polls `check` every `intervalMs` until it returns a truthy value, and resolves with that value; rejects
 * with `label` once `timeoutMs` passed without one.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  label = 'condition',
  intervalMs = 10,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
