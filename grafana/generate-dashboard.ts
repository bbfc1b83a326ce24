/**
 * Generates grafana/dashboards/libp2p-peer-tracker.json, the provisioned dashboard.
 *
 *   npx tsx grafana/generate-dashboard.ts          write the JSON
 *   npx tsx grafana/generate-dashboard.ts --check  exit 1 if the committed JSON differs
 *
 * Edit the generator, not the JSON. This file is the dashboard's frame (variables, the
 * restart annotation, the rows in order); each row is a module of generator/tracker-rows/,
 * whose selectors.ts gives every query the same `job`/`instance` filter and every rate
 * `$__rate_interval`. The panel kinds (generator/panels.ts, shared with
 * generate-fleet-dashboard.ts) require a unit and a description of every panel.
 *
 * Typed with Grafana's published schema (@grafana/schema, the version of the compose
 * image's Grafana): the dashboard, variables and panels against its Dashboard, Panel and
 * RowPanel types, and each panel's options and custom field config against its plugin's
 * own types (generator/panel-options.ts declares them on the package's public types).
 * `npm run typecheck` checks the generator (test/tsconfig.json includes grafana/);
 * test/stack/dashboard.test.ts checks the result and runs `--check`.
 */
import { fileURLToPath } from 'node:url'
import { DashboardCursorSync } from '@grafana/schema'
import type { AnnotationQuery, Dashboard } from '@grafana/schema'
import { SCHEMA_VERSION } from './generator/schema-version.js'
import { writeOrCheck } from './generator/output.js'
import { layout } from './generator/panels.js'
import { DATASOURCE, type PrometheusAnnotationFields } from './generator/queries.js'
import { churnAndStability } from './generator/tracker-rows/churn-and-stability.js'
import { clientsAndProtocols } from './generator/tracker-rows/clients-and-protocols.js'
import { connections } from './generator/tracker-rows/connections.js'
import { dialsAndDisconnects } from './generator/tracker-rows/dials-and-disconnects.js'
import { overview } from './generator/tracker-rows/overview.js'
import { peers } from './generator/tracker-rows/peers.js'
import { roundTripTime } from './generator/tracker-rows/round-trip-time.js'
import { scrapesAndAlerts } from './generator/tracker-rows/scrapes-and-alerts.js'
import { sel } from './generator/tracker-rows/selectors.js'
import { sessions } from './generator/tracker-rows/sessions.js'
import { source } from './generator/tracker-rows/source.js'
import { trackerProcess } from './generator/tracker-rows/tracker-process.js'
import { datasourceVariable, labelVariable } from './generator/variables.js'

const OUTPUT = fileURLToPath(new URL('./dashboards/libp2p-peer-tracker.json', import.meta.url))


const restarts: AnnotationQuery & PrometheusAnnotationFields = {
  name: 'Tracker restarts',
  datasource: DATASOURCE,
  enable: true,
  hide: false,
  iconColor: 'orange',
  expr: `changes(${sel('libp2p_tracker_start_time_seconds')}[$__rate_interval]) > 0`,
  step: '1m',
  titleFormat: 'Tracker restarted',
  textFormat: '{{instance}}',
  useValueForTime: false
}

const dashboard = {
  id: null,
  uid: 'libp2p-peer-tracker',
  title: 'libp2p peer tracker',
  description: 'Peers, sessions and connections of libp2p-peer-tracker nodes; who the peers are (clients, protocols, address families), dials and close reasons, RTT, flapping, churn and the stable core; the source the tracker reads them from; the tracker process, its scrapes and its alerts.',
  tags: ['libp2p', 'libp2p-peer-tracker'],
  timezone: '',
  editable: true,
  graphTooltip: DashboardCursorSync.Crosshair,
  fiscalYearStartMonth: 0,
  liveNow: false,
  refresh: '30s',
  schemaVersion: SCHEMA_VERSION,
  version: 1,
  time: { from: 'now-6h', to: 'now' },
  timepicker: {},
  links: [],
  annotations: { list: [restarts] },
  templating: {
    list: [
      datasourceVariable,
      labelVariable('job', 'Job', '', false),
      labelVariable('instance', 'Tracker', 'job="$job"', true)
    ]
  },
  // The rows top to bottom.
  panels: layout([
    ...overview,
    ...peers,
    ...sessions,
    ...connections,
    ...clientsAndProtocols,
    ...dialsAndDisconnects,
    ...roundTripTime,
    ...churnAndStability,
    ...source,
    ...trackerProcess,
    ...scrapesAndAlerts
  ])
} satisfies Dashboard

await writeOrCheck(dashboard, OUTPUT, 'grafana/generate-dashboard.ts')
