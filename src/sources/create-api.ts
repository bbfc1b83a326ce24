/**
 * The NodeApi for a polling source's config: its HTTP client with the credentials and CA read
 * from their files now (a ConfigError naming the flag when they cannot be used).
 */
import { BeaconApi } from './beacon-api.js'
import { readAuthorization, readCa } from './credentials.js'
import { HttpSource } from './http-source.js'
import { KuboRpc } from './kubo-rpc.js'
import type { NodeApi } from './node-api.js'
import type { PollingSourceConfig } from '../config/config.js'

export function createNodeApi (config: PollingSourceConfig, maxBodyBytes?: number): NodeApi {
  const authorization = config.authFile === undefined ? undefined : readAuthorization(config.authFile)
  const ca = config.caFile === undefined ? undefined : readCa(config.caFile)
  const http = new HttpSource({
    baseUrl: config.url,
    timeoutMs: config.timeoutMs,
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    ...(authorization === undefined ? {} : { authorization }),
    ...(ca === undefined ? {} : { ca })
  })
  return config.kind === 'kubo-rpc' ? new KuboRpc(http) : new BeaconApi(http)
}
