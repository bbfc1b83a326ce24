/**
 * --web.config.file with the built CLI, a real certificate made in the test (openssl) and a
 * real TLS client: TLS, basic auth (401 without detail), security headers, changes applied
 * without a restart (users, certificates, client authentication), an invalid change and one
 * that would turn authentication off kept out, TLS failures that do not crash, inline PEM, an
 * invalid file at start refused with one line naming the file and key, exit code 2.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCliToExit, startCliTracker } from '../support/tracker.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { waitFor } from '../support/wait.js'
import { bcryptHash, httpsGet, makePki } from '../support/web.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async fn => await fn()))
})

async function tracker (args: string[], env: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof startCliTracker>> & { https: string }> {
  const run = await startCliTracker(['--p2p.bootstrap=', ...args], env)
  cleanups.push(run.kill)
  return { ...run, https: run.url.replace('http://', 'https://') }
}

/** Replaces a file atomically, as config management tools do. */
function replaceFile (file: string, text: string): void {
  writeFileSync(`${file}.new`, text)
  renameSync(`${file}.new`, file)
}

describe('--web.config.file', () => {
  it('serves TLS with basic auth and headers; 401 without detail; TLS failures do not crash it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-tls-'))
    const pki = makePki(dir)
    pki.issue('server', 'serverAuth')
    const file = join(dir, 'web.yml')
    writeFileSync(file, [
      'tls_server_config:',
      '  cert_file: server.crt',
      '  key_file: server.key',
      'http_server_config:',
      '  headers:',
      '    X-Content-Type-Options: nosniff',
      'basic_auth_users:',
      `  prometheus: ${bcryptHash('scrape-me')}`
    ].join('\n'))
    const run = await tracker([`--web.config.file=${file}`])
    const ca = pki.ca

    const ok = await httpsGet(`${run.https}/metrics`, { ca, auth: { user: 'prometheus', password: 'scrape-me' } })
    expect(ok.status).toBe(200)
    expect(ok.headers['x-content-type-options']).toBe('nosniff')
    expect(valueOf(parseExposition(ok.body), 'libp2p_tracker_connected_peers')).toBe(0)

    for (const auth of [undefined, { user: 'prometheus', password: 'wrong' }, { user: 'nobody', password: 'scrape-me' }]) {
      const denied = await httpsGet(`${run.https}/metrics`, { ca, auth })
      expect(denied.status).toBe(401)
      expect(denied.headers['www-authenticate']).toMatch(/^Basic realm=/)
      expect(denied.body).toBe('Unauthorized.\n')
    }
    // Health checks are protected too (as exporter-toolkit does).
    expect((await httpsGet(`${run.https}/-/healthy`, { ca })).status).toBe(401)

    // A client that does not trust the certificate, plain HTTP on the TLS port, and garbage bytes.
    await expect(httpsGet(`${run.https}/metrics`, { ca: makePki(dir, 'stranger').ca })).rejects.toThrow()
    const plain = await fetch(`${run.url}/metrics`).then(r => r.status, (err: Error) => err.name)
    expect(plain).not.toBe(200)
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(run.url).port), '127.0.0.1', () => { socket.end(Buffer.alloc(4096, 0x16)) })
      socket.on('close', () => { resolve() })
      socket.on('error', () => {})
    })
    expect((await httpsGet(`${run.https}/metrics`, { ca, auth: { user: 'prometheus', password: 'scrape-me' } })).status).toBe(200)
    expect(run.process.exitCode).toBeNull()
  })

  it('applies changes without a restart: users, certificates and client authentication; keeps the last good file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-reload-'))
    const pki = makePki(dir)
    pki.issue('server', 'serverAuth')
    const client = pki.issue('client', 'clientAuth')
    const file = join(dir, 'web.yml')
    const tls = ['tls_server_config:', '  cert_file: server.crt', '  key_file: server.key']
    replaceFile(file, [...tls, 'basic_auth_users:', `  alice: ${bcryptHash('one')}`].join('\n'))
    const run = await tracker([`--web.config.file=${file}`])
    const status = async (auth?: { user: string, password: string }, ca = pki.ca): Promise<number> => (await httpsGet(`${run.https}/-/ready`, { ca, auth })).status
    expect(await status({ user: 'alice', password: 'one' })).toBe(200)

    // New users: the old password stops working, the new one works.
    replaceFile(file, [...tls, 'basic_auth_users:', `  alice: ${bcryptHash('two')}`].join('\n'))
    await waitFor('the new password to apply', async () => await status({ user: 'alice', password: 'two' }) === 200)
    expect(await status({ user: 'alice', password: 'one' })).toBe(401)

    // An invalid file: logged, counted, and the last good config stays in force.
    replaceFile(file, 'basic_auth_users: [broken')
    // The file is looked at when requests arrive (at most once a second): keep asking.
    await waitFor('the invalid file to be reported', async () => {
      await status({ user: 'alice', password: 'two' })
      return run.logs().some(l => l.msg === 'web config file is invalid; keeping the last good one')
    })
    expect(await status({ user: 'alice', password: 'two' })).toBe(200)
    expect(await status()).toBe(401)
    const metrics = parseExposition((await httpsGet(`${run.https}/metrics`, { ca: pki.ca, auth: { user: 'alice', password: 'two' } })).body)
    expect(valueOf(metrics, 'libp2p_tracker_internal_errors_total', { component: 'web_config_reload' })).toBe(1)

    // An empty (truncated) file would turn authentication off: refused like an invalid one.
    replaceFile(file, '')
    await waitFor('the empty file to be refused', async () => {
      await status()
      return run.logs().some(l => l.level === 'error' && String(l.err).includes('turning TLS off needs a restart'))
    })
    expect(await status()).toBe(401)
    replaceFile(file, [...tls, 'http_server_config:', '  headers:', '    X-Frame-Options: deny'].join('\n'))
    await waitFor('the file without users to be refused', async () => {
      await status()
      return run.logs().some(l => l.level === 'error' && String(l.err).includes('turning basic authentication off (no basic_auth_users left) needs a restart'))
    })
    expect(await status()).toBe(401)
    expect(await status({ user: 'alice', password: 'two' })).toBe(200)
    const after = parseExposition((await httpsGet(`${run.https}/metrics`, { ca: pki.ca, auth: { user: 'alice', password: 'two' } })).body)
    expect(valueOf(after, 'libp2p_tracker_internal_errors_total', { component: 'web_config_reload' })).toBe(3)

    // A new certificate from a new CA, and client certificates required from then on.
    const rotated = makePki(dir, 'rotated-ca')
    rotated.issue('server2', 'serverAuth')
    replaceFile(file, ['tls_server_config:', '  cert_file: server2.crt', '  key_file: server2.key', `  client_ca_file: ${pki.caFile}`, '  client_auth_type: RequireAndVerifyClientCert',
      'basic_auth_users:', `  alice: ${bcryptHash('two')}`].join('\n'))
    const alice = { user: 'alice', password: 'two' }
    await waitFor('the rotated certificate', async () => await httpsGet(`${run.https}/-/ready`, { ca: rotated.ca, cert: client.cert, key: client.key, auth: alice }).then(r => r.status === 200, () => false))
    await expect(httpsGet(`${run.https}/-/ready`, { ca: rotated.ca })).rejects.toThrow() // no client certificate
    await expect(httpsGet(`${run.https}/-/ready`, { ca: pki.ca, cert: client.cert, key: client.key })).rejects.toThrow() // old CA no longer matches
    expect(run.logs().filter(l => l.msg === 'web config file reloaded').length).toBe(2)
    expect(run.process.exitCode).toBeNull()
  })

  it('serves plain HTTP with an empty tls_server_config, and TLS from inline PEM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-inline-'))
    const pki = makePki(dir)
    const server = pki.issue('server', 'serverAuth')
    const empty = join(dir, 'empty-tls.yml')
    writeFileSync(empty, 'tls_server_config: {}\n')
    const plain = await tracker([`--web.config.file=${empty}`])
    expect((await fetch(`${plain.url}/-/healthy`)).status).toBe(200)
    const inline = join(dir, 'inline.yml')
    writeFileSync(inline, ['tls_server_config:', `  cert: ${JSON.stringify(server.cert.toString())}`, `  key: ${JSON.stringify(server.key.toString())}`].join('\n'))
    const run = await tracker([`--web.config.file=${inline}`])
    expect((await httpsGet(`${run.https}/-/healthy`, { ca: pki.ca })).status).toBe(200)
  })

  it('answers 404 on the peer API with --web.disable-peer-api, also from the environment', async () => {
    const run = await tracker(['--web.disable-peer-api'])
    expect((await fetch(`${run.url}/api/v1/peers`)).status).toBe(404)
    expect((await fetch(`${run.url}/api/v1/status`)).status).toBe(200)
    const fromEnv = await tracker([], { LIBP2P_TRACKER_WEB_DISABLE_PEER_API: 'true' })
    expect((await fetch(`${fromEnv.url}/api/v1/peers`)).status).toBe(404)
    const open = await tracker([], { LIBP2P_TRACKER_WEB_DISABLE_PEER_API: 'false' })
    expect((await fetch(`${open.url}/api/v1/peers`)).status).toBe(200)
  })
})

describe('--web.config.file with bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-bad-'))
  const pki = makePki(dir)
  pki.issue('server', 'serverAuth')

  it.each([
    ['bad-yaml.yml', 'tls_server_config: [', 'not valid YAML'],
    ['unknown.yml', 'tls_server_config:\n  certificate: x\n', 'unknown field "certificate" in tls_server_config'],
    ['not-pem.yml', 'tls_server_config:\n  cert: server.crt\n  key_file: server.key\n', 'tls_server_config.cert must be PEM text'],
    ['ca-without-auth-type.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n', 'tls_server_config.client_ca_file is set but client_auth_type is not set (NoClientCert)'],
    ['ca-with-no-client-cert.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: NoClientCert\n', 'client_auth_type is NoClientCert'],
    ['sans-optional-cert.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n', 'tls_server_config.client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert'],
    ['cipher.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]\n', 'tls_server_config.cipher_suites: "TLS_RSA_WITH_3DES_EDE_CBC_SHA" is not one of'],
    ['tls-setting-without-cert.yml', 'tls_server_config:\n  min_version: TLS13\n', 'tls_server_config.min_version is set but there is no cert_file or cert'],
    ['rate-limit.yml', 'rate_limit:\n  interval: 1s\n  burst: 0\n', 'rate_limit.burst is 0 with an interval set'],
    ['costly-hash.yml', 'basic_auth_users:\n  alice: $2y$14$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW\n', 'basic_auth_users.alice: bcrypt cost 14 is above 12'],
    ['missing-cert.yml', 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n', 'cannot read tls_server_config.cert_file'],
    ['swapped.yml', 'tls_server_config:\n  cert_file: server.key\n  key_file: server.crt\n', 'the certificate, key or CA cannot be used'],
    ['plain-password.yml', 'basic_auth_users:\n  alice: hunter2\n', 'basic_auth_users.alice is not a bcrypt hash']
  ])('refuses %s at start: one line naming --web.config.file, exit code 2, no identity file made', async (name, text, problem) => {
    const file = join(dir, name)
    writeFileSync(file, text)
    const identity = join(dir, `${name}.key`)
    const { code, stderr } = await runCliToExit(['--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off', '--p2p.bootstrap=', `--web.config.file=${file}`, `--p2p.identity-file=${identity}`])
    expect(code).toBe(2)
    const lines = stderr.trim().split('\n')
    expect(lines.length).toBe(1)
    expect(lines[0]).toContain(`--web.config.file: ${file}`)
    expect(lines[0]).toContain(problem)
    expect(await import('node:fs').then(fs => fs.existsSync(identity))).toBe(false)
  })

  it('refuses a missing file and a bad --web.max-requests', async () => {
    const missing = await runCliToExit([`--web.config.file=${join(dir, 'absent.yml')}`])
    expect(missing.code).toBe(2)
    expect(missing.stderr.trim()).toBe(`libp2p-peer-tracker: --web.config.file: cannot read ${join(dir, 'absent.yml')}: ENOENT`)
    const bad = await runCliToExit(['--web.max-requests=lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe('libp2p-peer-tracker: --web.max-requests: "lots" is not a whole number')
  })
})
