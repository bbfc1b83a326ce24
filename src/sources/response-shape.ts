/**
 * Checks on what an API answered, before anything of it is kept: the expected JSON shape (or
 * a PollError bad_response), a bounded list, and bounded, label-safe strings.
 */
import { sanitizeText } from '../tracker/sanitize.js'
import { PollError } from './http-source.js'

/** More entries than any real node has peers or connections: the answer is garbage. */
export const MAX_ENTRIES = 100_000
/** Longest multiaddr kept (real ones are under 200 characters). */
export const MAX_ADDRESS_LENGTH = 512
/** Most listen addresses kept for the status view. */
export const MAX_LISTEN_ADDRS = 64

/** Peer IDs are base58btc or base32 (multibase): letters and digits only, so they are safe as a label value. */
const PEER_ID = /^[0-9A-Za-z]{16,128}$/

export function badResponse (what: string, why: string): PollError {
  return new PollError('bad_response', `${what}: ${why}`)
}

export function asRecord (value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badResponse(what, 'not a JSON object')
  return value as Record<string, unknown>
}

/** A list of at most MAX_ENTRIES; `null` (Go's empty slice) is an empty list. */
export function asList (value: unknown, what: string): unknown[] {
  if (value === null) return []
  if (!Array.isArray(value)) throw badResponse(what, 'not a JSON list')
  if (value.length > MAX_ENTRIES) throw badResponse(what, `${value.length} entries, more than ${MAX_ENTRIES}`)
  return value
}

/** The `data` member of a Beacon API answer. */
export function dataOf (body: unknown, what: string): unknown {
  const record = asRecord(body, what)
  if (!('data' in record)) throw badResponse(what, 'no "data" member')
  return record.data
}

/** A peer ID fit to be kept and exported, or undefined. */
export function peerIdOf (value: unknown): string | undefined {
  return typeof value === 'string' && PEER_ID.test(value) ? value : undefined
}

/** A bounded, cleaned string, or undefined for a missing, empty or non-string value. */
export function boundedText (value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined
  return sanitizeText(value, max)
}

/** Listen addresses for the status view: bounded in number and length. */
export function addressList (value: unknown): string[] {
  if (!Array.isArray(value)) return []
  return value.slice(0, MAX_LISTEN_ADDRS).flatMap(a => {
    const text = boundedText(a, MAX_ADDRESS_LENGTH)
    return text === undefined ? [] : [text]
  })
}
