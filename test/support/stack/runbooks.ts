import { readFile } from 'node:fs/promises'
import { PATHS } from './paths.js'

/** The alerts whose runbook_url is not `<base>#<alert name in lower case>`. */
export function runbookProblems (rules: Array<{ alert?: string, annotations?: Record<string, string> }>, base: string): string[] {
  return rules.flatMap((r) => (r.alert !== undefined && r.annotations?.runbook_url !== `${base}#${r.alert.toLowerCase()}` ? [r.alert] : []))
}

/** The runbook base stated once at the top of rules/alerts.yml ("#   runbook base: URL"). */
export async function runbookBase (): Promise<string> {
  const text = await readFile(PATHS.alertRules, 'utf8')
  const base = /^# {3}runbook base: (\S+)$/m.exec(text)?.[1]
  if (base === undefined) throw new Error('rules/alerts.yml states no "runbook base:"')
  return base
}
