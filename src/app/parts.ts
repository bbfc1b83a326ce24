/**
 * The running parts of a composition root (src/app.ts, src/app-polling.ts), in the order they
 * started: each start returns how to stop its part (or nothing, for a step of the start that
 * leaves nothing of its own running), and stopAll() stops them in reverse, so a part never
 * outlives one started before it and the stop order follows from the start order. A stop
 * that throws is logged and the others still stop. A start that throws stops the parts
 * already started (in reverse) and rethrows, so a failed start leaves nothing open.
 */

/** How to stop one part; it may be async. */
export type Stop = () => unknown

/** A started part that also hands back what it made (the store, the server's address, ...). */
export interface Opened<T> {
  value: T
  stop: Stop
}

/** Where a stop that throws is told of. */
export interface PartsLog {
  error: (obj: Record<string, unknown>, msg: string) => void
}

export class Parts {
  private readonly started: Array<{ name: string, stop: Stop }> = []
  private stopping: Promise<void> | undefined

  constructor (private readonly log: PartsLog) {}

  /** Starts one part; its stop (if it returns one) runs in stopAll(), before those of every part started earlier. */
  async start (name: string, start: () => Stop | void | Promise<Stop | void>): Promise<void> {
    await this.open(name, async () => ({ value: undefined, stop: (await start()) ?? (() => {}) }))
  }

  /** Starts one part that hands back a value (see start()). */
  async open<T> (name: string, start: () => Opened<T> | Promise<Opened<T>>): Promise<T> {
    if (this.stopping !== undefined) throw new Error(`${name} not started: the parts are stopping`)
    let opened: Opened<T>
    try {
      opened = await start()
    } catch (err) {
      await this.stopAll()
      throw err
    }
    if (this.stopping !== undefined) {
      // stopAll() ran while this part was starting: it missed this part, so stop it now.
      await this.stopOne({ name, stop: opened.stop })
      throw new Error(`${name} stopped at once: the parts were stopped while it started`)
    }
    this.started.push({ name, stop: opened.stop })
    return opened.value
  }

  /** Stops every started part once, the last started first; a second call waits for the first. */
  async stopAll (): Promise<void> {
    this.stopping ??= (async () => {
      for (let part = this.started.pop(); part !== undefined; part = this.started.pop()) await this.stopOne(part)
    })()
    await this.stopping
  }

  private async stopOne ({ name, stop }: { name: string, stop: Stop }): Promise<void> {
    try {
      await stop()
    } catch (err) {
      try { this.log.error({ err, part: name }, `error while stopping ${name}`) } catch { /* a failing logger must not stop the others */ }
    }
  }
}
