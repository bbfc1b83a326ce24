/**
 * Shrinks the time axis of Prometheus rule groups, for end-to-end tests that cannot wait
 * 15 minutes for an alert.
 *
 * Every duration of a rule is multiplied by one factor: `for`, `keep_firing_for`, range
 * and subquery selectors (`[15m]`, `[1h:5m]`) and `offset` modifiers. The project's
 * rules express all their time windows that way, including the start-up guards
 * (`start_time == start_time offset 20m`), so a scaled copy keeps their logic: a drop
 * alert with `offset 15m` and `for: 2m` scaled by 1/30 compares with 30 s earlier and
 * fires after 4 s. Numbers compared with time() or rates per second are not scaled;
 * a rule written that way would behave differently in the scaled copy.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000
}

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/

/** Milliseconds of a Prometheus duration such as 1h30m or 500ms. */
export function parseDuration (text: string): number {
  if (!DURATION.test(text)) throw new Error(`not a Prometheus duration: ${text}`)
  let total = 0
  for (const part of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(part[1]) * (UNIT_MS[part[2] as string] as number)
  }
  return total
}

/** A duration in the largest unit that divides it exactly (down to milliseconds). */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0s'
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

/** Scales one duration; the result is rounded to whole milliseconds and at least 1 ms. */
export function scaleDuration (text: string, factor: number): string {
  return formatDuration(Math.max(1, Math.round(parseDuration(text) * factor)))
}

const DURATION_SOURCE = '(?:\\d+(?:ms|s|m|h|d|w|y))+'

/** Scales the range, subquery and offset durations of a PromQL expression. */
export function scaleExpression (expr: string, factor: number): string {
  return expr
    .replace(new RegExp(`\\[\\s*(${DURATION_SOURCE})\\s*(?::\\s*(${DURATION_SOURCE})?\\s*)?\\]`, 'g'),
      (whole: string, range: string, step: string | undefined) => {
        const scaledRange = scaleDuration(range, factor)
        if (!whole.includes(':')) return `[${scaledRange}]`
        return `[${scaledRange}:${step === undefined ? '' : scaleDuration(step, factor)}]`
      })
    .replace(new RegExp(`\\boffset\\s+(-?)(${DURATION_SOURCE})`, 'g'),
      (_whole: string, sign: string, duration: string) => `offset ${sign}${scaleDuration(duration, factor)}`)
}

export interface Rule {
  record?: string
  alert?: string
  expr: string
  for?: string
  keep_firing_for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export interface RuleGroup {
  name: string
  interval?: string
  rules: Rule[]
}

export interface RuleFile {
  groups: RuleGroup[]
}

/** A copy of a rule file with every duration scaled by `factor` (annotations unchanged). */
export function scaleRuleFile (file: RuleFile, factor: number): RuleFile {
  return {
    groups: file.groups.map((group) => ({
      ...group,
      ...(group.interval === undefined ? {} : { interval: scaleDuration(group.interval, factor) }),
      rules: group.rules.map((rule) => ({
        ...rule,
        expr: scaleExpression(rule.expr, factor),
        ...(rule.for === undefined ? {} : { for: scaleDuration(rule.for, factor) }),
        ...(rule.keep_firing_for === undefined ? {} : { keep_firing_for: scaleDuration(rule.keep_firing_for, factor) })
      }))
    }))
  }
}
