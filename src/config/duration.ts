/**
 * The one duration parser: a sequence of number-and-unit parts (`1h30m`, `250ms`), or `0`.
 * Two syntaxes share it:
 *
 * - FLAG_DURATION, the tracker's flags (src/config/values.ts parseDuration), as Prometheus'
 *   own flags write durations: whole numbers, units ms, s, m, h, d;
 * - GO_DURATION, the web config file's rate_limit.interval, as exporter-toolkit reads it with
 *   Go's time.ParseDuration: decimal fractions, units ns, us (µs), ms, s, m, h; and Kubo's
 *   peer latencies, as Go's time.Duration.String() writes them (goDurationMs).
 *
 * Pure: it returns undefined for text that is not a duration, and the caller words the error
 * with its own flag or key.
 */

export interface DurationSyntax {
  /** Milliseconds per unit. */
  readonly units: Readonly<Record<string, number>>
  /** One part: a number and a unit, matched where the last part ended. */
  readonly part: RegExp
}

function syntax (units: Record<string, number>, fractions: boolean): DurationSyntax {
  // Longest unit first, so `ms` is not read as `m` followed by `s`.
  const alternatives = Object.keys(units).sort((a, b) => b.length - a.length).join('|')
  const number = fractions ? '\\d+(?:\\.\\d*)?|\\.\\d+' : '\\d+'
  return { units, part: new RegExp(`(${number})(${alternatives})`, 'y') }
}

/** Prometheus' flag durations: `500ms`, `30s`, `5m`, `1h30m`, `1d`. */
export const FLAG_DURATION = syntax({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }, false)

/** Go's time.ParseDuration (without a sign): `1.5s`, `250ms`, `1m30s`, `100us`. */
export const GO_DURATION = syntax({ ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }, true)

/**
 * The duration `text` writes, in milliseconds; `0` is 0; undefined when the text is not a
 * duration of this syntax (empty, a number without a unit, a sign, spaces, an unknown unit).
 * A total too large for a safe integer is returned as it is: the caller says "too long".
 */
export function durationMs (text: string, syntax: DurationSyntax): number | undefined {
  if (text === '0') return 0
  if (text === '') return undefined
  const part = new RegExp(syntax.part) // its own lastIndex: the shared one stays untouched
  let total = 0
  let index = 0
  while (index < text.length) {
    part.lastIndex = index
    const match = part.exec(text)
    if (match === null) return undefined
    total += Number(match[1]) * (syntax.units[match[2] as string] as number)
    index = part.lastIndex
  }
  return total
}

/**
 * A duration another program wrote with Go's time.Duration.String(), such as Kubo's peer
 * Latency (`1.234ms`, `52.1µs`, `1m2.5s`, `1h0m0s`), in milliseconds; undefined for "n/a", an
 * empty string, a value that is not a string, over 64 characters, or not a Go duration.
 */
export function goDurationMs (value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined
  const ms = durationMs(value, GO_DURATION)
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined
}
