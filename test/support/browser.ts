/**
 * A real browser for the peer view's tests: Debian's chromium (/usr/bin/chromium, the
 * `chromium` package; .ci/run installs it) driven by playwright-core, with everything that
 * would show a broken page collected: console errors and warnings, uncaught page errors,
 * failed requests and Content-Security-Policy violations (the `securitypolicyviolation`
 * event, reported from the page through a binding).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchChromium (): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium), as .ci/run does`)
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']
  })
}

export interface WatchedPage {
  page: Page
  /** Console errors and warnings, page errors, failed requests and CSP violations, in order. */
  problems: string[]
  /** Every path the page requested (without the query). */
  requested: string[]
}

export async function openWatchedPage (browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, ...options })
  const page = await context.newPage()
  const problems: string[] = []
  const requested: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
  page.on('requestfailed', (request) => { problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`) })
  page.on('request', (request) => { requested.push(new URL(request.url()).pathname) })
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`) })
  await page.exposeBinding('reportCspViolation', (_source, text: string) => { problems.push(`CSP violation: ${text}`) })
  // A string, run in the page before its own scripts (test code has no DOM types).
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      window.reportCspViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' (' + event.sourceFile + ':' + event.lineNumber + ')')
    })`
  })
  return { page, problems, requested }
}

/**
 * Where a test writes a screenshot: docs/images/ for the one the docs show (`docs`) when
 * PEER_VIEW_SCREENSHOTS=1 (`npm run screenshots`), else a fresh temporary folder, so `npm test`
 * never changes the tree.
 */
let shots: string | undefined
export function screenshotDir (docs = false): string {
  if (docs && process.env.PEER_VIEW_SCREENSHOTS === '1') {
    const dir = fileURLToPath(new URL('../../docs/images/', import.meta.url))
    mkdirSync(dir, { recursive: true })
    return dir
  }
  shots ??= mkdtempSync(join(tmpdir(), 'peer-view-shots-'))
  return shots
}
