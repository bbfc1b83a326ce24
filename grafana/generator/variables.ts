/** The template variables of the dashboards: the datasource, then labels of the trackers to pick. */
import { VariableHide, VariableRefresh, VariableSort } from '@grafana/schema'
import type { VariableModel } from '@grafana/schema'
import { DATASOURCE } from './queries.js'

/**
 * A query variable as Grafana saves it: `definition` is the query as its editor shows it,
 * which @grafana/schema's VariableModel leaves out.
 */
type QueryVariable = VariableModel & { type: 'query', definition: string }

/** The Prometheus datasource to query, `${datasource}` in every panel. */
export const datasourceVariable: VariableModel = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: { selected: false, text: 'Prometheus', value: 'prometheus' },
  hide: VariableHide.dontHide,
  includeAll: false,
  multi: false,
  options: [],
  refresh: VariableRefresh.onDashboardLoad,
  regex: '',
  skipUrlSync: false
}

/**
 * A label of libp2p_tracker_build_info to pick values of, narrowed by the variables before
 * it. Single-select starts at the job libp2p-peer-tracker; multi-select starts at All,
 * which is `.*` and so also matches series without the label.
 * @param filter matchers of the variables before it, e.g. 'job="$job"'; '' for none
 */
export function labelVariable (name: string, label: string, filter: string, multi: boolean): QueryVariable {
  const query = `label_values(libp2p_tracker_build_info${filter === '' ? '' : `{${filter}}`}, ${name})`
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query,
    current: multi ? { selected: false, text: ['All'], value: ['$__all'] } : { selected: false, text: 'libp2p-peer-tracker', value: 'libp2p-peer-tracker' },
    hide: VariableHide.dontHide,
    includeAll: multi,
    ...(multi ? { allValue: '.*' } : {}),
    multi,
    options: [],
    refresh: VariableRefresh.onTimeRangeChanged,
    regex: '',
    skipUrlSync: false,
    sort: VariableSort.alphabeticalAsc
  }
}
