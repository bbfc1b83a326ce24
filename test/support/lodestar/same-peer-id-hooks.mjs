/** Module resolve hook registered by same-peer-id.mjs: see there. */
const HANDLER = '/@chainsafe/lodestar/lib/cmds/beacon/handler.js'

export async function resolve (specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context)
  if (specifier !== '@libp2p/peer-id-factory' || context.parentURL?.endsWith(HANDLER) !== true) return resolved
  // The stand-in imports the real factory that Lodestar would have had, by its resolved URL.
  const standIn = new URL('./saved-peer-id.mjs', import.meta.url)
  standIn.searchParams.set('factory', resolved.url)
  return { url: standIn.href, format: 'module', shortCircuit: true }
}
