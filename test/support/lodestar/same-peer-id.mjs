/**
 * Loaded into Lodestar 1.5.1 with `node --import` by devnet.ts, so that a restarted node keeps
 * its peer ID (a returning peer, as the tracker must see it).
 *
 * 1.5.1 makes a new random peer ID at every start: cmds/beacon/handler.js calls
 * `createSecp256k1PeerId()` from @libp2p/peer-id-factory ("unless peerIdFile is provided",
 * says its comment, but no such flag exists in 1.5.1) and writes it to <dataDir>/peer_id.json
 * "for debugging". Rather than editing the installed package, this registers a module
 * resolve hook that gives that one file (and no other importer) a stand-in for the factory
 * (saved-peer-id.mjs): it loads the peer ID from $TRACKER_LODESTAR_PEER_ID_FILE when that
 * file exists, and otherwise makes a new one as before. devnet.ts points the variable at the
 * node's own <dataDir>/peer_id.json, which Lodestar itself wrote at the first start. (The name
 * does not start with LODESTAR_: Lodestar's CLI rejects unknown LODESTAR_* variables.)
 */
import { register } from 'node:module'

register('./same-peer-id-hooks.mjs', import.meta.url)
