/** The generators' command line: write the dashboard's JSON, or with --check compare it with the committed file. */
import { readFile, writeFile } from 'node:fs/promises'
import type { Dashboard } from '@grafana/schema'

/**
 * Writes `dashboard` as JSON to `output`; with --check on the command line, exits 1
 * instead when the committed file differs.
 * @param generator the script to run to regenerate it, for the message
 */
export async function writeOrCheck (dashboard: Dashboard, output: string, generator: string): Promise<void> {
  const json = `${JSON.stringify(dashboard, null, 2)}\n`
  if (process.argv.includes('--check')) {
    const committed = await readFile(output, 'utf8').catch(() => '')
    if (committed !== json) {
      console.error(`${output} is out of date: run npx tsx ${generator}`)
      process.exit(1)
    }
    console.log(`${output} is up to date`)
  } else {
    await writeFile(output, json)
    console.log(`wrote ${output}`)
  }
}
