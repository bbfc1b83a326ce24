/**
 * Structural checks of the stack's files, as functions that return a list of problems
 * (empty when all is well), so that the tests can show each check failing on a broken
 * copy as well as passing on the real file.
 */
import { rangeDurations, vectorSelectors } from './promql.js'

/** The job matcher every dashboard selector carries. */
export const JOB_FILTER = 'job="$job"'

/**
 * The instance matchers a dashboard selector may carry: the selected trackers, or the
 * selected trackers and series without an instance label (for ALERTS, where
 * LibP2PTrackerTargetAbsent has none).
 */
export const INSTANCE_FILTERS = ['instance=~"$instance"', 'instance=~"$instance|"'] as const

/** Selectors of a dashboard query that lack the job/instance filter, and ranges not using $__rate_interval. */
export function dashboardQueryProblems (expr: string): string[] {
  const problems: string[] = []
  for (const selector of vectorSelectors(expr)) {
    if (!selector.matchers.includes(JOB_FILTER)) problems.push(`${selector.metric} lacks ${JOB_FILTER}`)
    if (!INSTANCE_FILTERS.some((m) => selector.matchers.includes(m))) problems.push(`${selector.metric} lacks ${INSTANCE_FILTERS[0]}`)
  }
  for (const range of rangeDurations(expr)) {
    if (range !== '$__rate_interval') problems.push(`range [${range}] instead of [$__rate_interval]`)
  }
  return problems
}

const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'quantile', 'count_values']

/**
 * The aggregations of an expression that drop the `instance` label, so that the values
 * of several trackers would be merged into one series: `sum by (direction) (...)`,
 * `sum without (instance) (...)` or a plain `sum(...)`. topk/bottomk keep their series'
 * labels and are not listed.
 */
export function aggregationsDroppingInstance (expr: string): string[] {
  const found: string[] = []
  const pattern = new RegExp(`\\b(${AGGREGATIONS.join('|')})\\s*(?:(by|without)\\s*\\(([^)]*)\\)\\s*)?\\(`, 'g')
  for (const match of expr.matchAll(pattern)) {
    const [whole, name, prefixKind, prefixLabels] = match
    // The argument list ends at the matching parenthesis; a grouping may also follow it.
    let depth = 1
    let i = match.index + whole.length
    for (; i < expr.length && depth > 0; i++) {
      if (expr[i] === '(') depth++
      else if (expr[i] === ')') depth--
    }
    const suffix = /^\s*(by|without)\s*\(([^)]*)\)/.exec(expr.slice(i))
    const kind = prefixKind ?? suffix?.[1]
    const labels = (prefixLabels ?? suffix?.[2] ?? '').split(',').map((l) => l.trim()).filter((l) => l !== '')
    const keeps = kind === 'by' ? labels.includes('instance') : kind === 'without' ? !labels.includes('instance') : false
    if (!keeps) found.push(kind === undefined ? `${name ?? ''}(...)` : `${name ?? ''} ${kind} (${labels.join(', ')})`)
  }
  return found
}

/** Series names an expression selects that are neither known nor recorded. */
export function unknownMetrics (expr: string, known: ReadonlySet<string>): string[] {
  return [...vectorSelectors(expr)].map((s) => s.metric).filter((name) => !known.has(name))
}

/** The anchor GitHub gives a Markdown heading (before de-duplication, see markdownHeadings). */
export function githubAnchor (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

export interface MarkdownHeading { level: number, text: string, anchor: string }

/**
 * The ATX headings of a Markdown document (not those in fenced code blocks), with the
 * anchors GitHub gives them: the second heading with the same anchor gets "-1", and so on.
 */
export function markdownHeadings (markdown: string): MarkdownHeading[] {
  const headings: MarkdownHeading[] = []
  const seen = new Map<string, number>()
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const fenceMark = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fenceMark !== undefined) {
      if (fence === undefined) fence = fenceMark
      else if (fenceMark[0] === fence[0] && fenceMark.length >= fence.length) fence = undefined
      continue
    }
    if (fence !== undefined) continue
    const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading === null) continue
    const text = heading[2] ?? ''
    const slug = githubAnchor(text.replace(/`/g, ''))
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    headings.push({ level: (heading[1] ?? '').length, text, anchor: count === 0 ? slug : `${slug}-${count}` })
  }
  return headings
}

/** The headings inside the section under the level-2 heading `title`, up to the next heading of level 1 or 2. */
export function sectionHeadings (markdown: string, title: string): MarkdownHeading[] {
  const headings = markdownHeadings(markdown)
  const start = headings.findIndex((h) => h.level === 2 && h.text.trim() === title)
  if (start < 0) return []
  const end = headings.findIndex((h, i) => i > start && h.level <= 2)
  return headings.slice(start + 1, end < 0 ? undefined : end)
}

/** Where a tracker's web server listens, and what decided it. */
export interface WebAddress { address: string, from: 'flag' | 'environment' | 'default' }

/**
 * Where the tracker CLI run with `args` and `env` serves HTTP, by its rules: the
 * --web.listen-address flag wins over LIBP2P_TRACKER_WEB_LISTEN_ADDRESS, which wins over
 * the default, the `demo` command's own or the tracker's.
 */
export function trackerWebAddress (
  args: readonly string[],
  env: Readonly<Record<string, string | null | undefined>>,
  defaults: { tracker: string, demo: string }
): WebAddress {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg.startsWith('--web.listen-address=')) return { address: arg.slice('--web.listen-address='.length), from: 'flag' }
    if (arg === '--web.listen-address' && args[i + 1] !== undefined) return { address: args[i + 1] as string, from: 'flag' }
  }
  const fromEnv = env.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS
  if (fromEnv !== undefined && fromEnv !== null && fromEnv !== '') return { address: fromEnv, from: 'environment' }
  return { address: args.includes('demo') ? defaults.demo : defaults.tracker, from: 'default' }
}

/** Whether a host:port listens on every interface (0.0.0.0, ::, or no host). */
export function listensOnAllInterfaces (address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1')
  return host === '' || host === '0.0.0.0' || host === '::'
}

/** A service of `docker-compose config` output. */
export interface ComposeService {
  image?: string
  build?: unknown
  profiles?: string[]
  healthcheck?: { test?: unknown, disable?: boolean }
  depends_on?: Record<string, { condition?: string }> | string[]
  volumes?: Array<string | { type?: string, source?: string, target?: string }>
  environment?: Record<string, string | null>
  entrypoint?: string[] | string
  command?: string[] | string
  [key: string]: unknown
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
}

/** An image reference pinned to an exact version: name:X.Y.Z (optional v and suffix), or a digest. */
export function isPinnedImage (image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image) || /:v?\d+\.\d+\.\d+(?:-[\w.]+)?$/.test(image)
}

/**
 * What the compose file is missing: pinned images for pulled services, a healthcheck on
 * every service (built services get it from the Dockerfile's HEALTHCHECK), only
 * `service_healthy` dependencies, and named volumes for data.
 */
export function composeProblems (compose: ComposeFile, dockerfileHasHealthcheck: boolean): string[] {
  const problems: string[] = []
  for (const [name, service] of Object.entries(compose.services)) {
    const built = service.build !== undefined
    if (!built && (service.image === undefined || !isPinnedImage(service.image))) {
      problems.push(`${name}: image ${service.image ?? '(none)'} is not pinned to a version`)
    }
    if (service.healthcheck?.disable === true) problems.push(`${name}: healthcheck disabled`)
    if (service.healthcheck?.test === undefined && !(built && dockerfileHasHealthcheck)) {
      problems.push(`${name}: no healthcheck`)
    }
    const dependsOn = service.depends_on ?? {}
    if (Array.isArray(dependsOn)) {
      if (dependsOn.length > 0) problems.push(`${name}: depends_on without condition: service_healthy`)
    } else {
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        if (condition !== 'service_healthy') problems.push(`${name}: depends on ${dependency} with condition ${condition ?? '(none)'}`)
      }
    }
  }
  return problems
}
