/**
 * A shard process: the swarm forks one per worker. It runs the peers the parent hands it and
 * answers over IPC. The shims must load before libp2p: keep this the first import.
 */
import '../runtime/node-shims.js'
import { SwarmShard } from './shard.js'
import type { FromShard, ToShard } from './worker-protocol.js'

let shard: SwarmShard | undefined

function send (message: FromShard): void {
  process.send?.(message)
}

async function stopAndExit (): Promise<void> {
  const truth = await shard?.stop()
  if (truth !== undefined) send({ type: 'stopped', truth })
  process.disconnect?.()
  process.exitCode = 0
}

process.on('message', (message: ToShard) => {
  switch (message.type) {
    case 'start':
      SwarmShard.start(message.options).then(
        s => { shard = s; send({ type: 'started', listeners: s.listeners() }) },
        (err: unknown) => { send({ type: 'failed', message: (err as Error).message }); process.exit(1) }
      )
      break
    case 'run':
      shard?.run(message.target)
      break
    case 'truth':
      if (shard !== undefined) send({ type: 'truth', id: message.id, truth: shard.truth() })
      break
    case 'stop':
      void stopAndExit()
      break
  }
})

// The parent went away (killed, crashed): stop the peers rather than linger.
process.on('disconnect', () => {
  if (shard === undefined) process.exit(0)
  void shard.stop().then(() => process.exit(0), () => process.exit(1))
})
// libp2p streams can reject promises nobody awaits when a connection resets mid-stream.
process.on('unhandledRejection', () => {})
