/**
 * The one way to report a survived error (src/service/survived-error.ts): the count in
 * libp2p_tracker_internal_errors_total{component} and the log line carry the same component,
 * and a failing logger never throws into the code that survived the error.
 */
import { describe, expect, it } from 'vitest'
import { guardedTask } from '../../src/service/periodic-task.js'
import { survivedErrorReporter } from '../../src/service/survived-error.js'
import { INTERNAL_ERROR_COMPONENTS, ReliabilityCounters } from '../../src/tracker/reliability-counters.js'
import type { TrackerLogger } from '../../src/service/logger.js'

function recordingLogger (): TrackerLogger & { errors: Array<{ obj: Record<string, unknown>, msg: string }> } {
  const errors: Array<{ obj: Record<string, unknown>, msg: string }> = []
  return {
    errors,
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (obj: Record<string, unknown>, msg: string) => { errors.push({ obj, msg }) }
  } as unknown as TrackerLogger & { errors: typeof errors }
}

describe('survivedErrorReporter', () => {
  it('counts and logs every component under the same name', () => {
    const reliability = new ReliabilityCounters()
    const log = recordingLogger()
    const report = survivedErrorReporter(reliability, log)
    const boom = new Error('boom')
    for (const component of INTERNAL_ERROR_COMPONENTS) report(component, boom, `failed in ${component}`)
    for (const component of INTERNAL_ERROR_COMPONENTS) expect(reliability.internalErrors.get(component), component).toBe(1)
    expect(log.errors.map(e => e.obj.component)).toEqual([...INTERNAL_ERROR_COMPONENTS])
    expect(log.errors.every(e => e.obj.err === boom)).toBe(true)
    expect(log.errors[0]?.msg).toBe(`failed in ${INTERNAL_ERROR_COMPONENTS[0]}`)
  })

  it('never throws, even when the logger does; the error is still counted', () => {
    const reliability = new ReliabilityCounters()
    const log = { ...recordingLogger(), error: () => { throw new Error('logger down') } } as unknown as TrackerLogger
    expect(() => { survivedErrorReporter(reliability, log)('storage', new Error('disk'), 'write failed') }).not.toThrow()
    expect(reliability.internalErrors.get('storage')).toBe(1)
  })

  it('is what a guarded periodic task reports with', () => {
    const reliability = new ReliabilityCounters()
    const log = recordingLogger()
    guardedTask('report', reliability, log, () => { throw new Error('report failed') })()
    expect(reliability.internalErrors.get('report')).toBe(1)
    expect(log.errors.map(e => [e.obj.component, e.msg])).toEqual([['report', 'error in a periodic task']])
  })
})
