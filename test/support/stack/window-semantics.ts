/**
 * Prometheus 3.0 made range selectors and the lookback of instant selectors left-open:
 * a selector evaluated at t reads the samples in (t - range, t], where 2.x read
 * [t - range, t]. A rule test whose outcome depends on a sample sitting exactly on the
 * left edge of a window passes on one version and fails on the other.
 *
 * The stack's tests run Debian's Prometheus 2.42. leftOpenExpression() rewrites an
 * expression so that 2.42 selects exactly the samples 3.x selects: every selector reads
 * 1 ms later (`offset -1ms`, or an existing offset 1 ms shorter). A sample on the left
 * edge falls out, and no new sample comes in on the right as long as samples lie on whole
 * seconds, as promtool's input series do. Only the extrapolation of rate() and increase()
 * moves, by 1 ms in minutes. (Negative offsets are a stable feature since Prometheus 2.33.)
 */
import { parseDuration, formatDuration, type RuleFile } from './rule-scaling.js'
import { rangeDurations, vectorSelectorSpans } from './promql.js'

const DURATION_SOURCE = '(?:\\d+(?:ms|s|m|h|d|w|y))+'

function offsetText (ms: number): string {
  return ms < 0 ? `-${formatDuration(-ms)}` : formatDuration(ms)
}

/** The expression with every selector reading 1 ms later (see above). Subqueries are refused. */
export function leftOpenExpression (expr: string): string {
  // A subquery's own steps would need more than a shift: none of the rules has one.
  if (rangeDurations(expr).some((range) => range.includes(':'))) throw new Error(`subqueries are not supported: ${expr}`)
  let result = expr
  for (const span of vectorSelectorSpans(expr).reverse()) {
    let end = span.end
    const range = /^\s*\[([^\]]*)\]/.exec(result.slice(end))
    if (range !== null) end += range[0].length
    const offset = new RegExp(`^\\s*offset\\s+(-?)(${DURATION_SOURCE})`).exec(result.slice(end))
    if (offset === null) {
      result = `${result.slice(0, end)} offset -1ms${result.slice(end)}`
    } else {
      const ms = (offset[1] === '-' ? -1 : 1) * parseDuration(offset[2] ?? '') - 1
      result = `${result.slice(0, end)} offset ${offsetText(ms)}${result.slice(end + offset[0].length)}`
    }
  }
  return result
}

/** A copy of a rule file whose expressions read their windows left-open (see above). */
export function leftOpenRuleFile (file: RuleFile): RuleFile {
  return {
    groups: file.groups.map((group) => ({
      ...group,
      rules: group.rules.map((rule) => ({ ...rule, expr: leftOpenExpression(rule.expr) }))
    }))
  }
}

/** The parts of a promtool rule test file that the rewrite touches. */
export interface RuleTestFile {
  rule_files: string[]
  tests: Array<{
    promql_expr_test?: Array<{ expr: string, [key: string]: unknown }>
    [key: string]: unknown
  }>
  [key: string]: unknown
}

/** A copy of a rule test file that loads `ruleFiles` and evaluates its PromQL tests left-open. */
export function leftOpenRuleTestFile (file: RuleTestFile, ruleFiles: string[]): RuleTestFile {
  return {
    ...file,
    rule_files: ruleFiles,
    tests: file.tests.map((test) => ({
      ...test,
      ...(test.promql_expr_test === undefined
        ? {}
        : { promql_expr_test: test.promql_expr_test.map((t) => ({ ...t, expr: leftOpenExpression(t.expr) })) })
    }))
  }
}
