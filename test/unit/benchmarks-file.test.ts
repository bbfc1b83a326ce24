import { describe, expect, it } from 'vitest'
import { withSection } from '../../bench/benchmarks-file.js'

describe('BENCHMARKS.md sections', () => {
  it('replaces only its own section, so a bench run keeps the soak result and the other way round', () => {
    let doc = '# Benchmarks\n'
    doc = withSection(doc, 'bench', '## Latest run\n\nB1 1,000,000/s')
    doc = withSection(doc, 'soak', '## Soak\n\nRSS flat')
    doc = withSection(doc, 'bench', '## Latest run\n\nB1 2,000,000/s')
    expect(doc).toBe('# Benchmarks\n\n<!-- bench:start -->\n## Latest run\n\nB1 2,000,000/s\n<!-- bench:end -->\n\n' +
      '<!-- soak:start -->\n## Soak\n\nRSS flat\n<!-- soak:end -->\n')
    doc = withSection(doc, 'soak', '## Soak\n\nRSS still flat')
    expect(doc).toContain('B1 2,000,000/s')
    expect(doc).toContain('RSS still flat')
    expect(doc).not.toContain('RSS flat\n')
  })
})
