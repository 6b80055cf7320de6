// Synchronisation for tests: poll a condition until it holds or a deadline passes. No bare sleeps.

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  // The probe runs at least once, and once more at the deadline.
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}
