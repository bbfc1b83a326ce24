/** Milliseconds since the Unix epoch. Injected so the tracker is tested without a real clock. */
export interface Clock {
  now: () => number
}

/**
 * Wall time that never goes backwards: anchored to the epoch once, then advanced by the
 * monotonic clock, so an NTP step cannot make a session's duration negative.
 */
export const monotonicClock: Clock = {
  now: () => performance.timeOrigin + performance.now()
}
