/**
 * The runbooks of the alert rules: every runbook_url of rules/alerts.yml is the one base
 * stated at the top of that file plus the alert's anchor, and leads to the alert's heading
 * in docs/alerts.md; every alert there has a heading and every heading an alert; the
 * links of that page and of README.md into it resolve. Negative controls feed the checks
 * wrong URLs and tricky Markdown.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PATHS, REPO_ROOT } from '../support/stack/paths.js'
import type { RuleFile } from '../support/stack/rule-scaling.js'
import { runbookBase, runbookProblems } from '../support/stack/runbooks.js'
import { markdownHeadings, sectionHeadings } from '../support/stack/stack-checks.js'
import { readYaml } from '../support/stack/yaml.js'

describe('alert rules and their runbooks (docs/alerts.md)', () => {
  it('define the runbook base once, at the top of rules/alerts.yml, pointing at docs/alerts.md of the repository', async () => {
    const text = await readFile(join(REPO_ROOT, 'rules', 'alerts.yml'), 'utf8')
    expect(text.match(/^# {3}runbook base: /gm)).toHaveLength(1)
    expect(await runbookBase()).toBe('https://github.com/libp2p-peer-tracker/libp2p-peer-tracker/blob/main/docs/alerts.md')
    // A rule with another base, or the anchor of another alert, is caught (negative control).
    const base = await runbookBase()
    const rule = (alert: string, url: string) => ({ alert, expr: 'vector(1)', annotations: { runbook_url: url } })
    expect(runbookProblems([
      rule('LibP2PTrackerNoPeers', `${base}#libp2ptrackernopeers`),
      rule('LibP2PTrackerChurnHigh', 'https://example.org/runbooks#libp2ptrackerchurnhigh'),
      rule('LibP2PTrackerInboundGone', `${base}#libp2ptrackerchurnhigh`)
    ], base)).toEqual(['LibP2PTrackerChurnHigh', 'LibP2PTrackerInboundGone'])
  })

  it('link every runbook_url to a heading of docs/alerts.md, and give every heading an alert', async () => {
    const page = await readFile(join(REPO_ROOT, 'docs', 'alerts.md'), 'utf8')
    const anchors = new Set(markdownHeadings(page).map((h) => h.anchor))
    const rules = (await readYaml(join(REPO_ROOT, 'rules', 'alerts.yml')) as RuleFile).groups.flatMap((g) => g.rules)
    const alerts = [...new Set(rules.flatMap((r) => (r.alert === undefined ? [] : [r.alert])))]
    const missing = rules.flatMap((rule) => {
      const anchor = /#(.+)$/.exec(rule.annotations?.runbook_url ?? '')?.[1]
      return rule.alert !== undefined && (anchor === undefined || !anchors.has(anchor)) ? [`${rule.alert}: #${anchor ?? '(no anchor)'}`] : []
    })
    expect(missing, 'runbook anchors without a heading in docs/alerts.md').toEqual([])
    // One "## <AlertName>" heading per alert, and no heading for an alert that does not exist.
    const alertHeadings = markdownHeadings(page).filter((h) => h.level === 2 && /^LibP2PTracker\w+$/.test(h.text)).map((h) => h.text)
    expect(alertHeadings.sort()).toEqual([...alerts].sort())
    // The page's own links and the README's links into it lead to headings.
    const readme = await readFile(PATHS.readme, 'utf8')
    const monitoring = await readFile(join(REPO_ROOT, 'docs', 'monitoring.md'), 'utf8') // its alert table links each runbook
    const links = [...page.matchAll(/\]\(#([^)]+)\)/g), ...readme.matchAll(/\(docs\/alerts\.md#([^)]+)\)/g), ...monitoring.matchAll(/\]\(alerts\.md#([^)]+)\)/g)].map((m) => m[1] ?? '')
    expect(links.length).toBeGreaterThan(20)
    expect(links.filter((link) => !anchors.has(link)), 'links to no heading').toEqual([])
    expect(readme).toContain('](docs/alerts.md)')
  })

  it('read README anchors as GitHub makes them (negative control)', () => {
    const readme = [
      '# Title', '## Monitoring stack', '### Runbook: LibP2PTrackerNoPeers', '```sh', '# Runbook: LibP2PTrackerTargetDown', '```',
      '### Runbook: `LibP2PTrackerNoPeers`', '## Other', '### Runbook: LibP2PTrackerChurnHigh'
    ].join('\n')
    expect(markdownHeadings(readme).map((h) => h.anchor)).toEqual([
      'title', 'monitoring-stack', 'runbook-libp2ptrackernopeers', 'runbook-libp2ptrackernopeers-1', 'other', 'runbook-libp2ptrackerchurnhigh'
    ])
    // Headings in code blocks and outside the section do not count.
    expect(sectionHeadings(readme, 'Monitoring stack').map((h) => h.anchor))
      .toEqual(['runbook-libp2ptrackernopeers', 'runbook-libp2ptrackernopeers-1'])
  })
})
