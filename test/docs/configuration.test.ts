/**
 * docs/configuration.md is generated from the CLI's --help (docs/generate-configuration.ts):
 * every flag of --help is on the page and every flag on the page is in --help.
 */
import { readFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { DOC_PATH, generatedPart, parseHelpCommands, parseHelpOptions, readHelpTexts, renderConfigurationDoc } from '../../docs/generate-configuration.js'

let help: Awaited<ReturnType<typeof readHelpTexts>>
let page: string

beforeAll(async () => {
  help = await readHelpTexts() // the built CLI (npm test builds it first)
  page = await readFile(DOC_PATH, 'utf8')
})

/** The flags in the first column of the page's tables, per section. */
function flagsOnPage (section: RegExp): string[] {
  const generated = generatedPart(page)
  const start = generated.search(section)
  const rest = generated.slice(start + 1)
  const next = rest.search(/^## /m)
  const body = next < 0 ? rest : rest.slice(0, next)
  return [...body.matchAll(/^\| `(--[\w.-]+)/gm)].map(m => m[1] as string)
}

describe('docs/configuration.md', () => {
  it('lists every flag of --help, and only those, for the tracker and each command', () => {
    for (const [command, heading] of [['tracker', /^## The tracker/m], ['swarm', /^## `swarm`/m], ['demo', /^## `demo`/m]] as const) {
      const fromHelp = parseHelpOptions(help[command]).map(o => o.flag)
      expect(fromHelp.length, `${command}: --help lists options`).toBeGreaterThan(5)
      expect(flagsOnPage(heading).sort(), command).toEqual([...fromHelp].sort())
    }
  })

  it('lists every command of storage --help', () => {
    const commands = parseHelpCommands(help.storage).map(c => c.name)
    expect(commands).toEqual(expect.arrayContaining(['info', 'compact', 'reset']))
    for (const name of commands) expect(page, name).toContain(`| \`${name}\` |`)
  })

  it('gives each tracker flag the environment variable --help shows', () => {
    const tracker = parseHelpOptions(help.tracker)
    for (const option of tracker) {
      expect(option.env, option.flag).toMatch(/^LIBP2P_TRACKER_/)
      expect(page, option.flag).toContain(`| \`${option.env ?? ''}\` |`)
    }
  })

  it('is exactly what the generator writes from --help (run npm run docs:configuration after changing a flag)', () => {
    expect(generatedPart(page)).toBe(renderConfigurationDoc(help))
  })
})

describe('parseHelpOptions', () => {
  it('joins wrapped descriptions and separates the env suffix', () => {
    const text = [
      'Usage: x [options]', '', 'Options:',
      '  --a.b <n>        first line of',
      '                   the help (default 1) (env: X_A_B)',
      '  --switch         a switch',
      '  -h, --help       print this help and exit', '',
      'Commands:', '  sub   something'
    ].join('\n')
    expect(parseHelpOptions(text)).toEqual([
      { flag: '--a.b', arg: 'n', help: 'first line of the help (default 1)', env: 'X_A_B' },
      { flag: '--switch', arg: undefined, help: 'a switch', env: undefined }
    ])
  })
})
