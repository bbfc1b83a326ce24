/**
 * How the tracker's history is laid out in the store: its keys (all under /tracker/, beside
 * libp2p's own /peers/ records) and the bytes of each value. Pure: no store, no clock.
 *
 *   /tracker/format         the store's format version (FORMAT_VERSION), written once
 *   /tracker/peers/<id>     one remembered peer: its last sessions, session starts, first and last seen
 *   /tracker/seen/meta      the Bloom filter of seen peers: size, hashes, distinct peers
 *   /tracker/seen/<nnn>     the filter's bits in SEEN_CHUNK_WORDS-word chunks (only chunks not all zero)
 *   /tracker/state          when the last batch was written and the peers connected then
 */
import { Key } from 'interface-datastore'
import { MAX_AGENT_LENGTH } from '../tracker/sanitize.js'
import type { PeerRecord, SessionRecord } from '../insight/peer-history.js'

/** Bumped when a value's layout changes incompatibly; a store of another version is refused, never rewritten. */
export const FORMAT_VERSION = 1
export const FORMAT_KEY = new Key('/tracker/format')
export const STATE_KEY = new Key('/tracker/state')
export const SEEN_META_KEY = new Key('/tracker/seen/meta')
export const PEERS_PREFIX = '/tracker/peers/'
export const SEEN_CHUNK_PREFIX = '/tracker/seen/c'
export const TRACKER_PREFIX = '/tracker/'
/** libp2p's peer store keeps its records under this prefix (@libp2p/peer-store). */
export const LIBP2P_PEERS_PREFIX = '/peers/'

/** 256 bytes of the filter per value: a new peer dirties at most one chunk per hash (7), so a batch writes about 1.8 KB per new peer, not the whole 1 MiB. */
export const SEEN_CHUNK_WORDS = 64

/** Why a session that was open when the tracker was killed (no clean stop) ended, in the history. */
export const UNCLEAN_SHUTDOWN = 'unclean_shutdown'

export function peerKey (peerId: string): Key {
  return new Key(`${PEERS_PREFIX}${peerId}`)
}

export function seenChunkKey (index: number): Key {
  return new Key(`${SEEN_CHUNK_PREFIX}${index.toString().padStart(4, '0')}`)
}

/** The chunk index of a /tracker/seen/c<nnnn> key, or undefined. */
export function seenChunkIndex (key: string): number | undefined {
  if (!key.startsWith(SEEN_CHUNK_PREFIX)) return undefined
  const digits = key.slice(SEEN_CHUNK_PREFIX.length)
  return /^\d{4}$/.test(digits) ? Number(digits) : undefined
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

type StoredSession = [number, number | null, string, string | null]

interface StoredPeer {
  /** Sessions ever opened while remembered. */
  s: number
  /** First and last seen (ms since the epoch). */
  f: number
  l: number
  a: string | null
  r: number | null
  /** Starts of the last F sessions (flapping). */
  t: number[]
  /** The last K sessions, oldest first. */
  h: StoredSession[]
}

export function encodePeer (record: PeerRecord): Uint8Array {
  const stored: StoredPeer = {
    s: record.sessions,
    f: record.firstSeen,
    l: record.lastSeen,
    a: record.agentVersion ?? null,
    r: record.rttMs ?? null,
    t: record.starts,
    h: record.recent.map(s => [s.startedAt, s.endedAt ?? null, s.direction, s.closeReason ?? null])
  }
  return encoder.encode(JSON.stringify(stored))
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isShortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max

/** The record, or undefined when the bytes are not a valid stored peer (it is then skipped and counted). */
export function decodePeer (peerId: string, bytes: Uint8Array): PeerRecord | undefined {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  const v = value as Partial<StoredPeer>
  if (!Number.isSafeInteger(v.s) || (v.s as number) < 0 || !isTime(v.f) || !isTime(v.l)) return undefined
  if (v.a !== null && !isShortString(v.a, MAX_AGENT_LENGTH)) return undefined
  if (v.r !== null && !(typeof v.r === 'number' && Number.isFinite(v.r) && v.r >= 0)) return undefined
  if (!Array.isArray(v.t) || !v.t.every(isTime)) return undefined
  if (!Array.isArray(v.h)) return undefined
  const recent: SessionRecord[] = []
  for (const entry of v.h as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 4) return undefined
    const [startedAt, endedAt, direction, closeReason] = entry as unknown[]
    if (!isTime(startedAt) || (endedAt !== null && !isTime(endedAt)) || !isShortString(direction, 16) || (closeReason !== null && !isShortString(closeReason, 32))) return undefined
    recent.push({ startedAt, endedAt: endedAt ?? undefined, direction, closeReason: closeReason ?? undefined })
  }
  return {
    peerId,
    sessions: v.s as number,
    recent,
    starts: v.t,
    firstSeen: v.f,
    lastSeen: v.l,
    agentVersion: v.a ?? undefined,
    rttMs: v.r ?? undefined
  }
}

/**
 * The most bytes one peer takes in the store (key and value) with K sessions and F starts
 * kept: the agent at its cap of 256 characters, 3 UTF-8 bytes each (or 2 for an escaped
 * quote), times and RTT at their longest, the longest direction and close reason.
 */
export function maxPeerBytes (sessionsPerPeer: number, startsPerPeer: number): number {
  const time = 17 // 13 digits until the year 2286; 17 covers any safe integer a double prints as
  const peerIdKey = PEERS_PREFIX.length + 128 // peer IDs are 46-59 characters; 128 covers any multihash this project accepts
  const fixed = '{"s":,"f":,"l":,"a":,"r":,"t":[],"h":[]}'.length + 16 + time * 2 + (2 + 3 * MAX_AGENT_LENGTH) + 24 // RTT: up to 24 characters (a double)
  const session = '[,,"",""],'.length + time * 2 + 'outbound'.length + UNCLEAN_SHUTDOWN.length
  return peerIdKey + fixed + sessionsPerPeer * session + startsPerPeer * (time + 1)
}

export interface StoredState {
  /** When the batch that wrote this state was made (ms since the epoch). */
  flushedAt: number
  /** Peers connected at that moment (on a clean stop: just before the node stopped). */
  connected: string[]
}

export function encodeState (state: StoredState): Uint8Array {
  return encoder.encode(JSON.stringify({ flushedAt: state.flushedAt, connected: state.connected }))
}

export function decodeState (bytes: Uint8Array): StoredState | undefined {
  try {
    const v = JSON.parse(decoder.decode(bytes)) as Partial<StoredState>
    if (!isTime(v.flushedAt) || !Array.isArray(v.connected) || !v.connected.every(p => isShortString(p, 128))) return undefined
    return { flushedAt: v.flushedAt, connected: v.connected }
  } catch {
    return undefined
  }
}

export interface SeenMeta {
  words: number
  hashes: number
  distinct: number
}

export function encodeSeenMeta (meta: SeenMeta): Uint8Array {
  return encoder.encode(JSON.stringify(meta))
}

export function decodeSeenMeta (bytes: Uint8Array): SeenMeta | undefined {
  try {
    const v = JSON.parse(decoder.decode(bytes)) as Partial<SeenMeta>
    if (!Number.isSafeInteger(v.words) || !Number.isSafeInteger(v.hashes) || !Number.isSafeInteger(v.distinct) || (v.distinct as number) < 0) return undefined
    return { words: v.words as number, hashes: v.hashes as number, distinct: v.distinct as number }
  } catch {
    return undefined
  }
}

/** A chunk of the filter's words as little-endian bytes (a copy: the filter keeps changing). */
export function encodeSeenChunk (words: Uint32Array, index: number): Uint8Array {
  const chunk = words.subarray(index * SEEN_CHUNK_WORDS, (index + 1) * SEEN_CHUNK_WORDS)
  const bytes = new Uint8Array(chunk.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < chunk.length; i++) view.setUint32(i * 4, chunk[i] as number, true)
  return bytes
}

/** Writes a stored chunk into the words; false when its size is wrong. */
export function decodeSeenChunk (bytes: Uint8Array, words: Uint32Array, index: number): boolean {
  const start = index * SEEN_CHUNK_WORDS
  const length = Math.min(SEEN_CHUNK_WORDS, words.length - start)
  if (length <= 0 || bytes.byteLength !== length * 4) return false
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < length; i++) words[start + i] = view.getUint32(i * 4, true)
  return true
}

/** Whether a chunk of the words differs from the same chunk of `written`. */
export function chunkChanged (words: Uint32Array, written: Uint32Array, index: number): boolean {
  const end = Math.min(words.length, (index + 1) * SEEN_CHUNK_WORDS)
  for (let i = index * SEEN_CHUNK_WORDS; i < end; i++) if (words[i] !== written[i]) return true
  return false
}
