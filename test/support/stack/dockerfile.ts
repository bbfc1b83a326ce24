/**
 * Just enough Dockerfile reading for the stack's tests (no Docker engine runs here): the
 * instructions of each build stage, the environment the last stage's image runs with, and
 * its exec-form HEALTHCHECK, ENTRYPOINT and CMD, so that a test can run the image's
 * commands with the image's environment on this machine.
 */

export interface Instruction {
  /** Upper-case keyword, e.g. ENV. */
  keyword: string
  /** The rest of the instruction, continuation lines joined. */
  args: string
  /** Index of the build stage (-1 before the first FROM). */
  stage: number
}

/** The instructions, with comments and blank lines dropped and `\` continuations joined. */
export function dockerfileInstructions (text: string): Instruction[] {
  const instructions: Instruction[] = []
  let stage = -1
  let pending = ''
  for (const line of text.split('\n')) {
    if (pending === '' && /^\s*(#|$)/.test(line)) continue
    if (pending !== '' && /^\s*#/.test(line)) continue // comments inside a continuation
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, '')
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    const match = /^(\w+)\s*(.*)$/s.exec(full)
    if (match === null) continue
    const keyword = (match[1] ?? '').toUpperCase()
    if (keyword === 'FROM') stage++
    instructions.push({ keyword, args: match[2] ?? '', stage })
  }
  return instructions
}

/** `${NAME}` and `$NAME` replaced from `vars` (unknown names become ''). */
function substitute (text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => vars[braced ?? bare ?? ''] ?? '')
}

/** The `key=value` pairs of an ENV or ARG instruction (values without quotes or spaces). */
function assignments (args: string): Array<[string, string | undefined]> {
  if (!args.includes('=')) {
    // Legacy form: ENV KEY value
    const [key, ...rest] = args.split(/\s+/)
    return [[key ?? '', rest.join(' ')]]
  }
  return args.split(/\s+/).filter((a) => a !== '').map((pair) => {
    const eq = pair.indexOf('=')
    return eq < 0 ? [pair, undefined] : [pair.slice(0, eq), pair.slice(eq + 1).replace(/^"(.*)"$/, '$1')]
  })
}

/**
 * The environment the image of the last stage runs with: its ENV instructions, with the
 * stage's ARG values (their defaults, or `buildArgs`, as `docker build --build-arg` gives).
 */
export function imageEnvironment (text: string, buildArgs: Record<string, string> = {}): Record<string, string> {
  const instructions = dockerfileInstructions(text)
  const last = Math.max(...instructions.map((i) => i.stage))
  const vars: Record<string, string> = {}
  const env: Record<string, string> = {}
  for (const { keyword, args } of instructions.filter((i) => i.stage === last)) {
    if (keyword === 'ARG') {
      for (const [key, value] of assignments(args)) vars[key] = buildArgs[key] ?? value ?? ''
    } else if (keyword === 'ENV') {
      for (const [key, value] of assignments(args)) {
        const resolved = substitute(value ?? '', vars)
        env[key] = resolved
        vars[key] = resolved
      }
    }
  }
  return env
}

/** The exec-form (JSON array) arguments of the last stage's instruction `keyword`, e.g. CMD. */
export function execForm (text: string, keyword: 'ENTRYPOINT' | 'CMD' | 'HEALTHCHECK'): string[] {
  const instructions = dockerfileInstructions(text)
  const last = Math.max(...instructions.map((i) => i.stage))
  const found = instructions.filter((i) => i.stage === last && i.keyword === keyword).at(-1)
  if (found === undefined) throw new Error(`no ${keyword} in the last stage`)
  const json = keyword === 'HEALTHCHECK' ? /\bCMD\s+(\[.*\])\s*$/s.exec(found.args)?.[1] : found.args
  if (json === undefined || !json.trim().startsWith('[')) throw new Error(`${keyword} is not in exec form: ${found.args}`)
  return JSON.parse(json) as string[]
}
