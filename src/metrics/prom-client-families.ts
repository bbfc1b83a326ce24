/**
 * The tracker's families in a prom-client registry: one small object per family, registered
 * like a prom-client metric, whose get() reads one render of the same collectors the CLI's
 * /metrics uses. prom-client calls every metric's get() in one synchronous loop per
 * `registry.metrics()` or `getMetricsAsJSON()`, so each family is read once per render: a render
 * is taken at the first read of a family and shared by the other families; a family read again
 * takes a new one (so a second render in the same event-loop turn sees the state as it is then),
 * and a render is dropped on the next turn of the event loop at the latest. Every family of one
 * render thus describes one instant, also for a consumer that reads the families one by one
 * with awaits between them (within one event-loop turn).
 *
 * prom-client 15 renames each counter in place when it renders a registry whose content type
 * is OpenMetrics (`metric.name` loses `_total`), which would make a later text render lose
 * `_total`. These families keep their name in a getter that ignores assignment. get() (what
 * getMetricsAsJSON() returns, and what prom-client's cluster aggregation reads) always names a
 * counter with `_total`, as it is registered; getForPromString() (what prom-client renders, when
 * a metric has it) gives the name prom-client's own Counter would have for the registry's
 * content type.
 */
import { Registry } from 'prom-client'
import { RegistryClashError } from '../errors.js'
import { SampledFamiliesSink } from './sampled-families.js'
import type { MetricDefinition } from './definitions.js'
import type { SampledFamily, SampledValue } from './sampled-families.js'
import type { MetricSink } from './sink.js'
import type { Metric, RegistryContentType } from 'prom-client'

/** One collection of the tracker's families into a sink. */
export type Collect = (sink: MetricSink) => void

/** One render of every family, shared by the families of one registry render (see header). */
class RenderSnapshot {
  private families: Map<string, SampledFamily> | undefined
  /** The families already read from `families`: one read again starts a new render. */
  private read = new Set<string>()
  private readonly collect: Collect

  constructor (collect: Collect) {
    this.collect = collect
  }

  family (name: string): SampledFamily | undefined {
    if (this.families === undefined || this.read.has(name)) {
      const sink = new SampledFamiliesSink()
      this.collect(sink)
      const families = sink.families
      this.families = families
      this.read = new Set()
      setImmediate(() => { if (this.families === families) this.families = undefined })
    }
    this.read.add(name)
    return this.families.get(name)
  }
}

/** One family as prom-client reads it from get() or getForPromString(). */
interface RenderedFamily { name: string, help: string, type: MetricDefinition['type'], aggregator: string, values: readonly SampledValue[] }

/** What prom-client reads of a registered family (getForPromString() is what it renders, get() what it returns as JSON). */
class RegisteredFamily {
  readonly type: MetricDefinition['type']
  readonly help: string
  /** How prom-client's cluster aggregation combines workers: as its own Gauge, Counter and Histogram do. */
  readonly aggregator = 'sum'
  private readonly definition: MetricDefinition
  private readonly snapshot: RenderSnapshot
  private readonly registry: Registry<RegistryContentType>

  constructor (definition: MetricDefinition, snapshot: RenderSnapshot, registry: Registry<RegistryContentType>) {
    this.definition = definition
    this.snapshot = snapshot
    this.registry = registry
    this.type = definition.type
    this.help = definition.help
  }

  get name (): string {
    return this.definition.name
  }

  /** prom-client's OpenMetrics render assigns the name without `_total` here: ignored (see getForPromString()). */
  set name (_renamed: string) {}

  /** The family as getMetricsAsJSON() returns it: named as registered (a counter with `_total`) in any registry. */
  get (): RenderedFamily {
    return this.rendered(this.definition.name)
  }

  /** The family as prom-client renders it: a counter without `_total` in an OpenMetrics registry (its samples get it back). */
  getForPromString (): RenderedFamily {
    const openMetrics = this.type === 'counter' && this.registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE
    return this.rendered(openMetrics ? this.definition.name.replace(/_total$/, '') : this.definition.name)
  }

  private rendered (name: string): RenderedFamily {
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.snapshot.family(this.definition.name)?.values ?? [] }
  }

  /** The values are the tracker's account, read at collect time: nothing to reset. */
  reset (): void {}
}

/**
 * Registers every family in `registry`; returns the function that unregisters them.
 * Throws, registering nothing, when the registry already has one of the names.
 */
export function registerFamilies (registry: Registry<RegistryContentType>, definitions: readonly MetricDefinition[], collect: Collect): () => void {
  const clash = definitions.find(d => registry.getSingleMetric(d.name) !== undefined)
  if (clash !== undefined) {
    throw new RegistryClashError(clash.name, `peerTracker: this prom-client registry already has a metric named ${clash.name} (another peerTracker registered in the same registry?): give each tracker its own registry, or registry: false`)
  }
  const snapshot = new RenderSnapshot(collect)
  const families = definitions.map(d => new RegisteredFamily(d, snapshot, registry))
  for (const family of families) registry.registerMetric(family as unknown as Metric)
  return () => {
    for (const family of families) {
      if (registry.getSingleMetric(family.name) === (family as unknown as Metric)) registry.removeSingleMetric(family.name)
    }
  }
}
