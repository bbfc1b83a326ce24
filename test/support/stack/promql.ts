/**
 * Just enough PromQL reading for the stack's structural tests: which series names an
 * expression selects, and with which label matchers. Not a parser: it relies on the real
 * Prometheus (promtool, the query API) to reject invalid PromQL, and only has to find the
 * vector selectors of valid expressions.
 */

export interface VectorSelector {
  /** The metric name, e.g. libp2p_tracker_connected_peers. */
  metric: string
  /** The label matchers between the braces, e.g. ['job="$job"', 'instance=~"$instance"']. */
  matchers: string[]
}

const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'offset', 'bool', 'inf', 'nan', 'atan2'
])

/** Replaces the inside of string literals with spaces, keeping every position. */
function blankStrings (expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (s) => `${s[0] ?? ''}${' '.repeat(s.length - 2)}${s[s.length - 1] ?? ''}`)
}

/** Splits the matchers of a selector body on the commas between matchers. */
function splitMatchers (body: string): string[] {
  const matchers: string[] = []
  let current = ''
  let quote: string | undefined
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string
    if (quote !== undefined) {
      current += c
      if (c === '\\') { current += body[++i] ?? ''; continue }
      if (c === quote) quote = undefined
      continue
    }
    if (c === '"' || c === "'" || c === '`') { quote = c; current += c; continue }
    if (c === ',') { matchers.push(current); current = ''; continue }
    current += c
  }
  matchers.push(current)
  return matchers.map((m) => m.replace(/\s+/g, '')).filter((m) => m !== '')
}

/** A vector selector and where it is: `start` at its metric name, `end` after its matchers. */
export interface VectorSelectorSpan extends VectorSelector {
  start: number
  end: number
}

/** The vector selectors of a PromQL expression (Grafana variables allowed), with their positions. */
export function vectorSelectorSpans (expr: string): VectorSelectorSpan[] {
  const blanked = blankStrings(expr)
  // Mask what cannot hold a metric name: label matchers, ranges and subqueries, and the
  // label lists of by/without/on/ignoring/group_left/group_right.
  const masked = blanked
    .replace(/\{[^}]*\}/g, (s) => ' '.repeat(s.length))
    .replace(/\[[^\]]*\]/g, (s) => ' '.repeat(s.length))
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, (s) => ' '.repeat(s.length))
  const selectors: VectorSelectorSpan[] = []
  for (const match of masked.matchAll(/\$\{?\w+\}?|[0-9][0-9a-zA-Z_.]*|[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const token = match[0]
    const start = match.index
    if (token.startsWith('$') || /^[0-9]/.test(token) || KEYWORDS.has(token.toLowerCase())) continue
    const after = start + token.length
    if (/^\s*\(/.test(masked.slice(after))) continue // a function or an aggregation
    const braces = /^\s*\{([^}]*)\}/.exec(blanked.slice(after))
    const body = braces === null ? '' : expr.slice(after + braces[0].indexOf('{') + 1, after + braces[0].length - 1)
    selectors.push({ metric: token, matchers: splitMatchers(body), start, end: after + (braces === null ? 0 : braces[0].length) })
  }
  return selectors
}

/** The vector selectors of a PromQL expression (Grafana variables allowed). */
export function vectorSelectors (expr: string): VectorSelector[] {
  return vectorSelectorSpans(expr).map(({ metric, matchers }) => ({ metric, matchers }))
}

/** The series names an expression selects. */
export function metricNames (expr: string): Set<string> {
  return new Set(vectorSelectors(expr).map((s) => s.metric))
}

/** The range and subquery durations of an expression, e.g. ['5m', '$__rate_interval']. */
export function rangeDurations (expr: string): string[] {
  return [...blankStrings(expr).matchAll(/\[([^\]]*)\]/g)].map((m) => (m[1] ?? '').trim())
}
