/**
 * Polls `check` until it returns a value other than undefined, or throws when `timeoutMs`
 * passes. Errors thrown by `check` count as "not yet" and the last one is reported.
 */
export async function waitFor<T> (
  description: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, intervalMs = 100 }: { timeoutMs?: number, intervalMs?: number } = {}
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: last error: ${lastError.message}` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${reason}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
