/**
 * The tracker's families in a prom-client registry: one small object per family, registered
 * like a prom-client metric, whose get() reads one render of the same collectors the CLI's
 * /metrics uses. The render is taken at the first get() of a registry collection (prom-client
 * calls every metric's get() in one synchronous loop) and dropped on the next turn of the
 * event loop, so every family of one `registry.metrics()` describes one instant.
 *
 * prom-client 15 renames each counter in place when it renders a registry whose content type
 * is OpenMetrics (`metric.name` loses `_total`), which would make a later text render lose
 * `_total`. These families keep their name in a getter that ignores assignment, and answer
 * get() with the name prom-client's own Counter would have for the registry's content type.
 */
import { Registry } from 'prom-client'
import { SampledFamiliesSink } from './sampled-families.js'
import type { MetricDefinition } from './definitions.js'
import type { SampledFamily, SampledValue } from './sampled-families.js'
import type { MetricSink } from './sink.js'
import type { Metric, RegistryContentType } from 'prom-client'

/** One collection of the tracker's families into a sink. */
export type Collect = (sink: MetricSink) => void

/** Takes one render per event-loop turn; every family reads from it. */
class RenderSnapshot {
  private families: Map<string, SampledFamily> | undefined
  private readonly collect: Collect

  constructor (collect: Collect) {
    this.collect = collect
  }

  family (name: string): SampledFamily | undefined {
    if (this.families === undefined) {
      const sink = new SampledFamiliesSink()
      this.collect(sink)
      this.families = sink.families
      setImmediate(() => { this.families = undefined })
    }
    return this.families.get(name)
  }
}

/** What prom-client reads of a registered family (get() is what it renders). */
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

  /** prom-client's OpenMetrics render assigns the name without `_total` here: ignored (see get()). */
  set name (_renamed: string) {}

  get (): { name: string, help: string, type: MetricDefinition['type'], aggregator: string, values: readonly SampledValue[] } {
    const name = this.type === 'counter' && this.registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE
      ? this.definition.name.replace(/_total$/, '')
      : this.definition.name
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
    throw new Error(`peerTracker: this prom-client registry already has a metric named ${clash.name} (another peerTracker registered in the same registry?): give each tracker its own registry, or registry: false`)
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
