/**
 * Structural checks of the stack's files, as functions that return a list of problems
 * (empty when all is well), so that the tests can show each check failing on a broken
 * copy as well as passing on the real file.
 */
import { rangeDurations, vectorSelectors } from './promql.js'

/** The matchers every dashboard selector carries. */
export const DASHBOARD_FILTER = ['job="$job"', 'instance=~"$instance"'] as const

/** Selectors of a dashboard query that lack the job/instance filter, and ranges not using $__rate_interval. */
export function dashboardQueryProblems (expr: string): string[] {
  const problems: string[] = []
  for (const selector of vectorSelectors(expr)) {
    for (const matcher of DASHBOARD_FILTER) {
      if (!selector.matchers.includes(matcher)) problems.push(`${selector.metric} lacks ${matcher}`)
    }
  }
  for (const range of rangeDurations(expr)) {
    if (range !== '$__rate_interval') problems.push(`range [${range}] instead of [$__rate_interval]`)
  }
  return problems
}

/** Series names an expression selects that are neither known nor recorded. */
export function unknownMetrics (expr: string, known: ReadonlySet<string>): string[] {
  return [...vectorSelectors(expr)].map((s) => s.metric).filter((name) => !known.has(name))
}

/** The anchor GitHub gives a Markdown heading. */
export function githubAnchor (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
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
