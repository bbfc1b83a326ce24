import { defaultDashboard } from '@grafana/schema'

/** The dashboard schema version of the @grafana/schema release the panels are typed against (both dashboards use it). */
export const SCHEMA_VERSION: number = defaultDashboard.schemaVersion ?? (() => { throw new Error('@grafana/schema declares no dashboard schemaVersion') })()
