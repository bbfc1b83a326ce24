/**
 * Dial failures reduced to a fixed set of reasons, in one table. Matched against what
 * js-libp2p 3 and Node actually throw: libp2p's error classes (by `name`, as they survive
 * bundling and realms), Node socket codes (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT, ...) and,
 * last, message fragments. libp2p throws an AggregateError when every address failed: its
 * reason is that of the first inner error with a known reason.
 */

export const DIAL_OUTCOMES = ['success', 'failure'] as const
export type DialOutcome = typeof DIAL_OUTCOMES[number]

export const DIAL_ERROR_REASONS = [
  'timeout', 'refused', 'unreachable', 'peer_id_mismatch', 'no_valid_addresses',
  'encryption_failed', 'muxer_failed', 'aborted', 'resource_limit', 'other'
] as const
export type DialErrorReason = typeof DIAL_ERROR_REASONS[number]

interface ErrorLike {
  name?: unknown
  code?: unknown
  message?: unknown
  errors?: unknown
  cause?: unknown
}

/** [reason, error names, Node error codes, message pattern]; first match wins. */
const DIAL_ERROR_TABLE: ReadonlyArray<readonly [DialErrorReason, readonly string[], readonly string[], RegExp | undefined]> = [
  // Noise wraps the identity check's failure in EncryptionFailedError: match it before encryption.
  ['peer_id_mismatch', ['UnexpectedPeerError', 'InvalidPeerIdError'], [], /does not match expected remote identity|unexpected peer|peer id mismatch|can not dial self|tried to dial self/i],
  ['refused', [], ['ECONNREFUSED'], /ECONNREFUSED|connection refused/i],
  ['unreachable', [], ['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'], /EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|unreachable/i],
  ['timeout', ['TimeoutError'], ['ETIMEDOUT', 'ABORT_ERR_TIMEOUT'], /ETIMEDOUT|timed? ?out|timeout/i],
  ['no_valid_addresses', ['NoValidAddressesError', 'TransportUnavailableError', 'InvalidMultiaddrError'], [], /no valid addresses|no transport available|more than maxPeerAddrsToDial/i],
  ['encryption_failed', ['EncryptionFailedError', 'InvalidCryptoExchangeError'], [], /encryption failed|crypto/i],
  ['muxer_failed', ['MuxerUnavailableError', 'MuxerClosedError'], [], /muxer|multiplex/i],
  ['resource_limit', ['ConnectionDeniedError', 'TooManyOutboundProtocolStreamsError'], ['EMFILE', 'ENFILE', 'ENOBUFS'], /dial queue is full|max connections|too many|limit/i],
  ['aborted', ['AbortError'], ['ABORT_ERR'], /aborted/i]
]

function classifyOne (err: ErrorLike): DialErrorReason {
  const name = typeof err.name === 'string' ? err.name : ''
  const code = typeof err.code === 'string' ? err.code : ''
  const message = typeof err.message === 'string' ? err.message.slice(0, 512) : ''
  // A peer ID mismatch arrives inside EncryptionFailedError: its message decides first.
  const [mismatch, , , mismatchPattern] = DIAL_ERROR_TABLE[0] as typeof DIAL_ERROR_TABLE[number]
  if (mismatchPattern?.test(message) === true) return mismatch
  for (const [reason, names, codes] of DIAL_ERROR_TABLE) {
    if (names.includes(name) || codes.includes(code)) return reason
  }
  for (const [reason, , , pattern] of DIAL_ERROR_TABLE) {
    if (pattern?.test(message) === true) return reason
  }
  return 'other'
}

/** The reason of a failed dial. Looks into AggregateError and `cause` chains (depth-bounded). */
export function classifyDialError (err: unknown, depth = 0): DialErrorReason {
  if (err === null || typeof err !== 'object') {
    return typeof err === 'string' ? classifyOne({ message: err }) : 'other'
  }
  const e = err as ErrorLike
  if (depth < 4 && Array.isArray(e.errors) && e.errors.length > 0) {
    for (const inner of e.errors.slice(0, 16)) {
      const reason = classifyDialError(inner, depth + 1)
      if (reason !== 'other') return reason
    }
  }
  const reason = classifyOne(e)
  if (reason === 'other' && depth < 4 && e.cause !== undefined) return classifyDialError(e.cause, depth + 1)
  return reason
}
