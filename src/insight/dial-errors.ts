/**
 * Dial failures reduced to a fixed set of reasons, in one table. Matched against what
 * js-libp2p 3 and Node actually throw (test/integration/dial-errors.test.ts produces each
 * from a real dial): Node socket codes (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT, ...),
 * libp2p's error classes (by `name`, as they survive bundling and realms) and message
 * fragments. libp2p throws an AggregateError when every address failed: its reason is that
 * of the first inner error with a known reason.
 *
 * Order matters because libp2p wraps: a handshake that times out (a port that accepts TCP
 * and never answers) arrives as EncryptionFailedError "The operation was aborted due to
 * timeout", and Noise's identity check as EncryptionFailedError "... does not match expected
 * remote identity ...". So the message is read for a peer ID mismatch, a timeout or an abort
 * before any wrapper's name decides.
 */

export const DIAL_OUTCOMES = ['success', 'failure'] as const
export type DialOutcome = typeof DIAL_OUTCOMES[number]

export const DIAL_ERROR_REASONS = [
  'timeout', 'refused', 'unreachable', 'peer_id_mismatch', 'no_valid_addresses',
  'encryption_failed', 'muxer_failed', 'aborted', 'resource_limit', 'denied', 'other'
] as const
export type DialErrorReason = typeof DIAL_ERROR_REASONS[number]

interface ErrorLike {
  name?: unknown
  code?: unknown
  message?: unknown
  errors?: unknown
  cause?: unknown
}

interface Rule {
  reason: DialErrorReason
  /** libp2p / DOM error names. */
  names: readonly string[]
  /** Node error codes (string `code`). */
  codes: readonly string[]
  message: RegExp | undefined
}

const rule = (reason: DialErrorReason, names: readonly string[], codes: readonly string[], message?: RegExp): Rule => ({ reason, names, codes, message })

/** Decided by the message before anything else: libp2p wraps these in other errors' names. */
const PEER_ID_MISMATCH = rule('peer_id_mismatch', ['UnexpectedPeerError'], [], /does not match expected remote identity|unexpected peer|peer id mismatch/i)
const TIMEOUT = rule('timeout', ['TimeoutError'], ['ETIMEDOUT'], /aborted due to timeout|timed? ?out|timeout|ETIMEDOUT/i)
const ABORTED = rule('aborted', ['AbortError'], ['ABORT_ERR'], /\baborted\b/i)

/**
 * The table, in match order. A self-dial ("Can not dial self", "Tried to dial self") is none
 * of these: `other`. The connection gater refusing a dial (DialDeniedError when it denied the
 * peer or every address, ConnectionInterceptedError when it blocked the connection) is `denied`.
 */
const DIAL_ERROR_TABLE: readonly Rule[] = [
  PEER_ID_MISMATCH,
  // A WebSocket dial refused: Node 22+'s WebSocket says only "Received network error or non-101 status code".
  rule('refused', [], ['ECONNREFUSED'], /ECONNREFUSED|connection refused|non-101 status code|Unexpected server response/i),
  rule('unreachable', [], ['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'], /EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|unreachable/i),
  TIMEOUT,
  ABORTED,
  rule('no_valid_addresses', ['NoValidAddressesError', 'TransportUnavailableError', 'InvalidMultiaddrError'], [], /no valid addresses|no transport available|more than maxPeerAddrsToDial/i),
  rule('denied', ['DialDeniedError', 'ConnectionInterceptedError'], [], /blocked by gater|gater denied/i),
  rule('encryption_failed', ['EncryptionFailedError', 'InvalidCryptoExchangeError'], [], /encryption failed|crypto/i),
  rule('muxer_failed', ['MuxerUnavailableError', 'MuxerClosedError'], [], /muxer|multiplex/i),
  rule('resource_limit', ['ConnectionDeniedError', 'TooManyOutboundProtocolStreamsError'], ['EMFILE', 'ENFILE', 'ENOBUFS'], /dial queue is full|max connections|too many|limit/i)
]

function classifyOne (err: ErrorLike): DialErrorReason {
  const name = typeof err.name === 'string' ? err.name : ''
  const code = typeof err.code === 'string' ? err.code : ''
  const message = typeof err.message === 'string' ? err.message.slice(0, 512) : ''
  // 1. A peer ID mismatch, whatever wraps it.
  if (PEER_ID_MISMATCH.message?.test(message) === true) return PEER_ID_MISMATCH.reason
  // 2. Node's socket codes are exact.
  for (const r of DIAL_ERROR_TABLE) if (r.codes.includes(code)) return r.reason
  // 3. Timeouts, then aborts, by name or message: before the wrappers' names.
  for (const r of [TIMEOUT, ABORTED]) {
    if (r.names.includes(name) || r.message?.test(message) === true) return r.reason
  }
  // 4. libp2p's error names, then 5. what the message says.
  for (const r of DIAL_ERROR_TABLE) if (r.names.includes(name)) return r.reason
  for (const r of DIAL_ERROR_TABLE) if (r.message?.test(message) === true) return r.reason
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
  if ((reason === 'other' || reason === 'aborted') && depth < 4 && e.cause !== undefined && e.cause !== err) {
    // Node's AbortError ("The operation was aborted") carries a timeout signal's reason as its cause.
    const inner = classifyDialError(e.cause, depth + 1)
    if (reason === 'other' || inner === 'timeout') return inner
  }
  return reason
}
