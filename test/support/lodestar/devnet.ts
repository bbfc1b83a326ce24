/**
 * A real Lodestar 1.5.1 devnet on 127.0.0.1, offline, for the Beacon API source's end-to-end
 * test: node 0 makes the genesis and runs the 8 validators, the others follow it (bootnode ENR
 * plus --network.connectToDiscv5Bootnodes) and peer with it by themselves. Every node has its
 * own working folder (`dev` writes genesis.ssz into it) and free ports, and can be stopped,
 * frozen and started again with the same peer ID.
 *
 * Lodestar is installed by test/support/lodestar/install.sh into a cache outside the clone
 * ($TRACKER_LODESTAR_DIR); it runs with the Node that built its native modules (Debian's Node
 * 20, named in the install's marker file), never with process.execPath: the suite also runs
 * under Node 22 and 24, which cannot load them.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../ports.js'
import { startChild } from '../process.js'
import { waitFor } from '../wait.js'
import type { RunningChild } from '../process.js'

export const LODESTAR_VERSION = '1.5.1'

/** How long a node may take to answer REST after its start (4-5 s when quiet; 2 loaded cores). */
const REST_UP_MS = 90_000
/** How long the nodes may take to see each other (seconds when quiet). */
const PEERING_MS = 120_000
/** After the first SIGTERM (which can hang 90 s in 1.5.1), a second SIGTERM forces the exit... */
const SECOND_SIGTERM_MS = 5_000
/** ...and SIGKILL ends a node that still runs this long after it. */
const SIGKILL_MS = 10_000

const SAME_PEER_ID_HOOK = fileURLToPath(new URL('./same-peer-id.mjs', import.meta.url))
const INSTALL_SCRIPT = 'test/support/lodestar/install.sh'

export interface LodestarInstall {
  dir: string
  /** The Node that built the native modules, and so the one that runs Lodestar. */
  node: string
  /** Lodestar's CLI entry (the `lodestar` bin). */
  entry: string
  /** Defines Promise.withResolvers on Node 20 (node --require). */
  preload: string
}

/** The installed Lodestar, or a one-line error telling how to install it. */
export function lodestarInstall (): LodestarInstall {
  const dir = process.env.TRACKER_LODESTAR_DIR ?? join(homedir(), '.cache', 'libp2p-peer-tracker', `lodestar-${LODESTAR_VERSION}`)
  const marker = join(dir, 'installed')
  if (!existsSync(marker)) {
    throw new Error(`Lodestar ${LODESTAR_VERSION} is not installed in ${dir}: run \`bash ${INSTALL_SCRIPT}\` (TRACKER_LODESTAR_DIR chooses the folder)`)
  }
  const node = readFileSync(marker, 'utf8').trim()
  const entry = join(dir, 'node_modules', '@chainsafe', 'lodestar', 'lib', 'index.js')
  const preload = join(dir, 'preload.cjs')
  for (const file of [node, entry, preload]) {
    if (!existsSync(file)) throw new Error(`the Lodestar install in ${dir} lacks ${file}: remove ${marker} and run \`bash ${INSTALL_SCRIPT}\` again`)
  }
  return { dir, node, entry, preload }
}

/** One peer in a Beacon API answer (GET /eth/v1/node/peers). */
export interface BeaconPeer {
  peer_id: string
  enr?: string | null
  last_seen_p2p_address: string
  state: string
  direction: string
}

export interface LodestarNode {
  readonly index: number
  /** Its working folder (genesis.ssz) and, below it, its --dataDir. */
  readonly workDir: string
  readonly dataDir: string
  readonly restPort: number
  readonly p2pPort: number
  /** http://127.0.0.1:<rest port> */
  readonly restUrl: string
  /** Its peer ID, the same across restarts. */
  readonly peerId: string
  /** The running process (undefined while stopped). */
  readonly process: RunningChild | undefined
  /** GET a REST path, parsed JSON; throws on a non-2xx answer or after 10 s. */
  get: <T>(path: string) => Promise<T>
  /** The peers it lists as connected (GET /eth/v1/node/peers?state=connected). */
  connectedPeers: () => Promise<BeaconPeer[]>
  /** Its own connected count (GET /eth/v1/node/peer_count, `connected`). */
  connectedCount: () => Promise<number>
}

export interface Devnet {
  readonly nodes: readonly LodestarNode[]
  /** SIGTERM, a second SIGTERM after 5 s, SIGKILL 10 s later; resolves once it exited. */
  stopNode: (index: number) => Promise<void>
  /** Starts a stopped node again with its folders, ports and peer ID; resolves once REST answers with that peer ID. */
  startNode: (index: number) => Promise<void>
  /** SIGSTOP: the process stays, its sockets stay open, nothing answers. */
  freeze: (index: number) => void
  /** SIGCONT after freeze. */
  thaw: (index: number) => void
  /** Resolves once node 0 and every running follower list each other as connected, and node 0 knows their agent versions. */
  waitPeered: (timeoutMs?: number) => Promise<void>
  /** Stops every node (always resolves; for afterAll). */
  stop: () => Promise<void>
  /** The last lines of every node's output, for failure messages. */
  logs: (lines?: number) => string
}

export interface DevnetOptions {
  /** A scratch folder; each node gets node<i>/ in it. */
  dir: string
  /** How many nodes (default 3): node 0 and size-1 followers. */
  size?: number
}

interface NodeState {
  index: number
  workDir: string
  dataDir: string
  restPort: number
  p2pPort: number
  restUrl: string
  peerId: string
  child: RunningChild | undefined
  frozen: boolean
}

async function getJson<T> (url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  const body = await response.text()
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 200)}`)
  return JSON.parse(body) as T
}

/**
 * Starts the devnet: node 0 first (its ENR is the others' bootnode), then the followers;
 * resolves once all of them answer REST and are peered. On failure every node is stopped and
 * the error carries their output.
 */
export async function startDevnet (options: DevnetOptions): Promise<Devnet> {
  const install = lodestarInstall()
  const size = options.size ?? 3
  // One genesis for all: `dev` derives the genesis state from the validator count and time.
  const genesisTime = Math.floor(Date.now() / 1000)
  const states: NodeState[] = []
  for (let index = 0; index < size; index++) {
    const workDir = join(options.dir, `node${index}`)
    await mkdir(workDir, { recursive: true })
    const restPort = await freePort()
    let p2pPort = await freePort()
    while (p2pPort === restPort) p2pPort = await freePort()
    states.push({
      index, workDir, dataDir: join(workDir, 'data'), restPort, p2pPort, restUrl: `http://127.0.0.1:${restPort}`, peerId: '', child: undefined, frozen: false
    })
  }
  let bootEnr = ''

  const argsOf = (s: NodeState): string[] => {
    const args = [
      '--require', install.preload, '--import', SAME_PEER_ID_HOOK, install.entry, 'dev',
      '--dataDir', s.dataDir,
      '--genesisValidators', '8',
      '--genesisTime', String(genesisTime),
      '--rest.address', '127.0.0.1', '--rest.port', String(s.restPort), '--rest.namespace', '*',
      '--listenAddress', '127.0.0.1', '--port', String(s.p2pPort), '--enr.ip', '127.0.0.1'
    ]
    if (s.index === 0) {
      args.push('--startValidators', '0..7', '--server', s.restUrl)
    } else {
      args.push('--bootnodes', bootEnr, '--network.connectToDiscv5Bootnodes')
    }
    return args
  }

  const logs = (lines = 30): string => states.map(s => {
    const out = s.child?.output() ?? ''
    return `--- lodestar node ${s.index} (rest ${s.restPort}, p2p ${s.p2pPort}) ---\n${out.split('\n').slice(-lines).join('\n')}`
  }).join('\n')

  const launch = async (s: NodeState): Promise<void> => {
    const child = startChild(install.node, argsOf(s), {
      name: `lodestar node ${s.index}`,
      cwd: s.workDir,
      // Not this process's environment: Lodestar rejects unknown LODESTAR_* variables, and a
      // NODE_OPTIONS meant for the test runner does not belong in it.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: homedir(), TRACKER_LODESTAR_PEER_ID_FILE: join(s.dataDir, 'peer_id.json') },
      outputLimit: 256 * 1024
    })
    s.child = child
    s.frozen = false
    const identity = await waitFor(`Lodestar node ${s.index} to answer GET /eth/v1/node/identity`, async () => {
      if (child.exitedYet()) throw new Error(`Lodestar node ${s.index} exited:\n${child.output().slice(-4000)}`)
      try {
        return (await getJson<{ data: { peer_id: string, enr: string } }>(`${s.restUrl}/eth/v1/node/identity`)).data
      } catch {
        return undefined
      }
    }, { timeoutMs: REST_UP_MS, intervalMs: 250 })
    if (s.peerId !== '' && identity.peer_id !== s.peerId) {
      throw new Error(`Lodestar node ${s.index} came back as ${identity.peer_id}, not ${s.peerId}: the same-peer-id.mjs hook did not apply`)
    }
    s.peerId = identity.peer_id
    if (s.index === 0) bootEnr = identity.enr
  }

  const stopState = async (s: NodeState): Promise<void> => {
    const child = s.child
    if (child === undefined) return
    if (!child.exitedYet()) {
      if (s.frozen) child.process.kill('SIGCONT')
      child.process.kill('SIGTERM')
      const second = setTimeout(() => { child.process.kill('SIGTERM') }, SECOND_SIGTERM_MS)
      const kill = setTimeout(() => { child.process.kill('SIGKILL') }, SECOND_SIGTERM_MS + SIGKILL_MS)
      await child.exited
      clearTimeout(second)
      clearTimeout(kill)
    }
    await child.closed
    s.child = undefined
    s.frozen = false
  }

  const stopAll = async (): Promise<void> => {
    await Promise.all(states.map(async s => { await stopState(s) }))
  }

  const nodeOf = (s: NodeState): LodestarNode => {
    const get = async <T>(path: string): Promise<T> => await getJson<T>(`${s.restUrl}${path}`)
    return {
      index: s.index,
      workDir: s.workDir,
      dataDir: s.dataDir,
      restPort: s.restPort,
      p2pPort: s.p2pPort,
      restUrl: s.restUrl,
      get peerId () { return s.peerId },
      get process () { return s.child },
      get,
      connectedPeers: async () => (await get<{ data: BeaconPeer[] }>('/eth/v1/node/peers?state=connected')).data,
      connectedCount: async () => Number((await get<{ data: { connected: string } }>('/eth/v1/node/peer_count')).data.connected)
    }
  }
  const nodes = states.map(nodeOf)

  const nodeAt = (index: number): LodestarNode => {
    const node = nodes[index]
    if (node === undefined) throw new Error(`no Lodestar node ${index} in a devnet of ${size}`)
    return node
  }
  const stateOf = (index: number): NodeState => {
    const s = states[index]
    if (s === undefined) throw new Error(`no Lodestar node ${index} in a devnet of ${size}`)
    return s
  }

  const waitPeered = async (timeoutMs = PEERING_MS): Promise<void> => {
    const running = states.filter(s => s.child !== undefined)
    const first = running.find(s => s.index === 0)
    if (first === undefined) throw new Error('node 0 is not running')
    const followers = running.filter(s => s.index !== 0)
    await waitFor(`Lodestar nodes ${running.map(s => s.index).join(', ')} to peer`, async () => {
      for (const s of running) {
        if (s.child?.exitedYet() === true) throw new Error(`Lodestar node ${s.index} exited:\n${s.child.output().slice(-4000)}`)
      }
      const ofFirst = new Set((await nodeAt(0).connectedPeers()).map(p => p.peer_id))
      if (!followers.every(f => ofFirst.has(f.peerId))) return false
      for (const f of followers) {
        const ofFollower = (await nodeAt(f.index).connectedPeers()).map(p => p.peer_id)
        if (!ofFollower.includes(first.peerId)) return false
      }
      // And identify has run: node 0 knows their agent (it reads "NA" for a second or so).
      const agents = (await nodeAt(0).get<{ data: Array<{ peer_id: string, agent_version?: string }> }>('/eth/v1/lodestar/peers')).data
      return followers.every(f => agents.some(p => p.peer_id === f.peerId && p.agent_version !== undefined && p.agent_version !== 'NA'))
    }, { timeoutMs, intervalMs: 250, retryErrors: true })
  }

  try {
    await launch(stateOf(0))
    await Promise.all(states.slice(1).map(launch))
    await waitPeered()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const output = logs()
    await stopAll()
    throw new Error(`the Lodestar devnet did not start: ${message}\n${output}`)
  }

  return {
    nodes,
    stopNode: async (index) => { await stopState(stateOf(index)) },
    startNode: async (index) => {
      const s = stateOf(index)
      if (s.child !== undefined) throw new Error(`Lodestar node ${index} is running`)
      if (index !== 0 && states[0]?.child === undefined) throw new Error('node 0 (the bootnode) must run before a follower starts')
      await launch(s)
    },
    freeze: (index) => {
      const s = stateOf(index)
      if (s.child === undefined) throw new Error(`Lodestar node ${index} is not running`)
      s.child.process.kill('SIGSTOP')
      s.frozen = true
    },
    thaw: (index) => {
      const s = stateOf(index)
      if (s.child === undefined) throw new Error(`Lodestar node ${index} is not running`)
      s.child.process.kill('SIGCONT')
      s.frozen = false
    },
    waitPeered,
    stop: stopAll,
    logs
  }
}
