/**
 * Caps on what remote peers tell us, applied before anything is remembered: a peer may
 * announce any agent string and any number of protocols (identify reads up to 10 messages of
 * up to 8 KiB each, and decodes strings without checking UTF-8), and none of it may make the
 * tracker's memory unbounded. No announced string is ever a label value: metrics use bounded
 * agent families and versions. Pure functions; the p2p adapter calls them on every identify result.
 */

/** Longest agent version kept, in characters (real agents are under 100). */
export const MAX_AGENT_LENGTH = 256
/** Most protocols kept per peer (real nodes announce 10-40). */
export const MAX_PROTOCOLS = 128
/** Longest protocol id kept, in characters. */
export const MAX_PROTOCOL_LENGTH = 128

// C0 and C1 controls and DEL: nothing a human-readable agent or protocol id needs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
const ELLIPSIS = '…'
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * Well-formed (lone surrogates, which cannot be encoded as UTF-8, become U+FFFD), without
 * control characters, and at most `max` characters; a cut string ends with an ellipsis and
 * never splits a surrogate pair.
 */
export function sanitizeText (value: string, max: number): string {
  // Cut first (cheap on a 10 MB string), then clean what is left.
  const text = (value.length > max + 1 ? value.slice(0, max + 1) : value)
    .replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, '\uFFFD')
  if (text.length <= max) return text
  let cut = text.slice(0, Math.max(0, max - 1))
  const last = cut.charCodeAt(cut.length - 1)
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1)
  return cut + ELLIPSIS
}

/** An agent version as the tracker keeps it; undefined stays undefined. */
export function sanitizeAgentVersion (agent: string | undefined): string | undefined {
  if (typeof agent !== 'string') return undefined
  return sanitizeText(agent, MAX_AGENT_LENGTH)
}

/** At most MAX_PROTOCOLS distinct, capped protocol ids, in the order announced. */
export function sanitizeProtocols (protocols: readonly unknown[] | undefined): string[] {
  const kept = new Set<string>()
  if (!Array.isArray(protocols)) return []
  for (const protocol of protocols) {
    if (kept.size >= MAX_PROTOCOLS) break
    if (typeof protocol !== 'string' || protocol === '') continue
    kept.add(sanitizeText(protocol, MAX_PROTOCOL_LENGTH))
  }
  return [...kept]
}
