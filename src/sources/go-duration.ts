/**
 * Go's time.Duration.String() as Kubo writes a peer's latency: `1.234ms`, `52.1µs`, `1m2.5s`,
 * `1h0m0s`, `800ns`. Pure.
 */
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, 'μs': 0.001, ns: 0.000001 }
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|μs|ns)/y

/** Milliseconds, or undefined for "n/a", an empty string or anything not a Go duration. */
export function parseGoDuration (value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 64) return undefined
  let total = 0
  let index = 0
  while (index < value.length) {
    PART.lastIndex = index
    const match = PART.exec(value)
    if (match === null) return undefined
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number)
    index = PART.lastIndex
  }
  return Number.isFinite(total) ? total : undefined
}
