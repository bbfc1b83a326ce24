/**
 * The Kubernetes manifests of deploy/: a kustomization rendered with `kubectl kustomize` (no
 * cluster), each manifest validated offline against the Kubernetes and Prometheus Operator
 * schemas of kubernetes-models. Used by fleet-deploy.test.ts (the base) and
 * source-sidecar.test.ts (the beacon-node overlay).
 */
import { ConfigMap, Service } from 'kubernetes-models/v1'
import { StatefulSet } from 'kubernetes-models/apps/v1'
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import yaml from 'js-yaml'
import { runTool } from '../process.js'

export interface Manifest { apiVersion: string, kind: string, metadata: { name: string, labels?: Record<string, string>, annotations?: Record<string, string> }, [key: string]: unknown }

/** The model of every kind deploy/ may hold; a kind not listed here has no schema. */
const MODELS: Record<string, new (data: never) => { validate: () => void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule
}

/** Throws unless the manifest's kind has a schema here and the manifest passes it. */
export function validateManifest (manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`]
  if (Model === undefined) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`)
  new Model(manifest as never).validate()
}

/** `kubectl kustomize DIR`, parsed; throws with kubectl's output when it fails. */
export async function renderKustomization (dir: string): Promise<Manifest[]> {
  const result = await runTool('kubectl', ['kustomize', dir], { timeoutMs: 60_000 })
  if (result.code !== 0) throw new Error(`kubectl kustomize ${dir} exited with ${String(result.code)}: ${result.output}`)
  return yaml.loadAll(result.stdout) as Manifest[]
}

/** The one manifest of this kind (and name) among `rendered`; throws when there is none or more than one. */
export function onlyManifest<T extends Manifest> (rendered: readonly Manifest[], kind: string, name?: string): T {
  const found = rendered.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name))
  if (found.length !== 1) throw new Error(`${found.length} manifests of ${kind} ${name ?? ''} (one expected): ${found.map((m) => m.metadata.name).join(', ')}`)
  return found[0] as T
}
