/**
 * Identify agent strings reduced to a bounded client family and a major.minor version.
 * One table, in match order: the first family whose pattern matches wins. Classified once
 * per identify (never per scrape); only the first AGENT_SCAN_CHARS characters are read, so a
 * hostile megabyte-long agent costs no more than a normal one.
 */

export const AGENT_FAMILIES = [
  'kubo', 'go-libp2p', 'rust-libp2p', 'js-libp2p', 'helia', 'nim-libp2p',
  'lighthouse', 'prysm', 'teku', 'nimbus', 'lodestar', 'grandine', 'erigon',
  'substrate', 'lotus', 'forest', 'other', 'unknown'
] as const
export type AgentFamily = typeof AGENT_FAMILIES[number]

/** Index of each family in AGENT_FAMILIES (the tracker stores the index, not the string). */
export const AGENT_FAMILY_INDEX: Readonly<Record<AgentFamily, number>> =
  Object.fromEntries(AGENT_FAMILIES.map((f, i) => [f, i])) as Record<AgentFamily, number>

export const UNKNOWN_FAMILY = AGENT_FAMILY_INDEX.unknown
export const OTHER_FAMILY = AGENT_FAMILY_INDEX.other

/** Agent strings longer than this are classified by their beginning only. */
export const AGENT_SCAN_CHARS = 128

/**
 * go-libp2p's identify announces, unless the program sets its own agent, the program's main
 * Go module path and version (p2p/protocol/identify: `<module>@<version>`, or
 * `<module>@<9-hex revision>[-dirty]` for a development build, `<module>@` without VCS info; `github.com/libp2p/go-libp2p`
 * when there is no build info). Any module path followed by such a version is a go-libp2p
 * peer; the version is the program's, not go-libp2p's, so it is not kept.
 */
const GO_MODULE_AGENT = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:\/[^\s/@]+)+@(?:v\d+\.\d+\.\d+\S*|[0-9a-f]{9}(?:-dirty)?|)$/

/**
 * The classification table, tested against the lower-cased start of the agent string:
 * [pattern, family, whether the string's first major.minor is the family's version].
 * Order matters: Lodestar and Helia run on js-libp2p and say so after their own name, the
 * go-ipfs name is Kubo's former one, and a Go program's module path may contain any word
 * (so it is matched before Substrate's loose pattern).
 */
const AGENT_TABLE: ReadonlyArray<readonly [RegExp, AgentFamily, boolean]> = [
  [/^(?:kubo|go-ipfs)(?:[/ -]|$)/, 'kubo', true],
  [/^lighthouse(?:[/ -]|$)/, 'lighthouse', true],
  [/^prysm(?:[/ -]|$)/, 'prysm', true],
  [/^teku(?:[/ -]|$)/, 'teku', true],
  [/^nimbus(?:[/ -]|$)/, 'nimbus', true],
  [/^lodestar(?:[/ -]|$)/, 'lodestar', true],
  [/^grandine(?:[/ -]|$)/, 'grandine', true],
  [/^(?:erigon|caplin)(?:[/ -]|$)/, 'erigon', true],
  [/^lotus(?:[/ -]|$)/, 'lotus', true],
  [/^forest(?:[/ -]|$)/, 'forest', true],
  [/^helia(?:[/ -]|$)/, 'helia', true],
  // go-libp2p itself as the main module (its examples and tools): its own version.
  [/^(?:github\.com\/libp2p\/)?go-libp2p(?:[/@ -]|$)/, 'go-libp2p', true],
  [GO_MODULE_AGENT, 'go-libp2p', false],
  [/^(?:substrate|polkadot|parity[ -]polkadot|kusama)(?:[/ -]|$)|polkadot|substrate/, 'substrate', true],
  [/^rust-libp2p(?:[/ -]|$)/, 'rust-libp2p', true],
  [/^nim-libp2p(?:[/ -]|$)/, 'nim-libp2p', true],
  [/^js-libp2p(?:[/ -]|$)/, 'js-libp2p', true]
]

/** The first major.minor in the string: `v5.3.0-d6ba8c3` -> `5.3`, `lotus-1.28.0+mainnet` -> `1.28`. */
const VERSION = /(?:^|[^0-9.])v?(\d{1,6})\.(\d{1,6})(?![0-9])/

export interface AgentClass {
  family: AgentFamily
  /** major.minor with leading zeros dropped; undefined when the string carries none. */
  version: string | undefined
}

/** The family and version of an identify agent string; `unknown` when there is none yet. */
export function classifyAgent (agent: string | undefined): AgentClass {
  if (agent === undefined || agent.trim() === '') return { family: 'unknown', version: undefined }
  const head = agent.slice(0, AGENT_SCAN_CHARS).toLowerCase().trimStart()
  let family: AgentFamily = 'other'
  let versioned = false
  for (const [pattern, name, hasVersion] of AGENT_TABLE) {
    if (pattern.test(head)) { family = name; versioned = hasVersion; break }
  }
  if (!versioned) return { family, version: undefined }
  const match = VERSION.exec(head)
  const version = match === null ? undefined : `${Number(match[1])}.${Number(match[2])}`
  return { family, version }
}
