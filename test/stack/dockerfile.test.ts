/**
 * The Dockerfile read as text (no Docker here): pinned base image, multi-stage, non-root,
 * a healthcheck on /-/healthy where the tracker serves, and a .dockerignore that lets in
 * only what the build needs. compose.test.ts checks the services built from it, and
 * tracker-services.test.ts runs the demo service as its container would.
 */
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dockerfileInstructions, execForm, imageEnvironment } from '../support/stack/dockerfile.js'
import { PATHS, REPO_ROOT } from '../support/stack/paths.js'

describe('Dockerfile', () => {
  it('builds a non-root, pinned, multi-stage image with a healthcheck on /-/healthy', async () => {
    const dockerfile = await readFile(PATHS.dockerfile, 'utf8')
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? ''
    expect(image).toMatch(/^node:(22|24)\.\d+\.\d+-bookworm-slim$/)
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)).toHaveLength(2)
    expect(dockerfile).toMatch(/^RUN npm ci\b/m)
    expect(dockerfile).toMatch(/npm run build/)
    expect(dockerfile).toMatch(/npm prune --omit=dev/)
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(dockerfile).toMatch(/^EXPOSE 9089 4001\/tcp 4001\/udp 4002\/udp$/m)
    // Each port the CMD listens on is exposed with its protocol (QUIC-v1 and WebRTC-direct: UDP).
    const exposed = /^EXPOSE (.*)$/m.exec(dockerfile)?.[1]?.split(' ') ?? []
    for (const listen of execForm(dockerfile, 'CMD').filter((a) => a.startsWith('--p2p.listen='))) {
      const [, , , protocol, port] = listen.slice('--p2p.listen='.length).split('/')
      expect(exposed, listen).toContain(`${port ?? ''}/${protocol ?? ''}`)
    }
    const [command, flag, script] = execForm(dockerfile, 'HEALTHCHECK')
    expect([command, flag]).toEqual(['node', '-e'])
    expect(script).toContain('/-/healthy')
    expect(script).toContain('process.env.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS')
    // The image serves on every interface unless told otherwise.
    expect(imageEnvironment(dockerfile).LIBP2P_TRACKER_WEB_LISTEN_ADDRESS).toBe('0.0.0.0:9089')
    expect(execForm(dockerfile, 'CMD').some((a) => a.startsWith('--web.listen-address'))).toBe(false)
    const dockerignore = await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8')
    expect(dockerignore).toMatch(/^\*$/m)
    expect(dockerignore).toMatch(/^!src\/$/m)
    // Every file the build copies from the context is let in, and exists: the CLI's workspace
    // manifest among them, without which `npm ci` cannot install the CLI's dependencies.
    const letIn = dockerignore.split('\n').filter(l => l.startsWith('!')).map(l => l.slice(1).replace(/\/$/, ''))
    const copied = dockerfileInstructions(dockerfile).filter(i => i.keyword === 'COPY' && !i.args.includes('--from')).flatMap(i => i.args.split(/\s+/).slice(0, -1))
    expect(copied).toContain('packages/cli/package.json')
    for (const source of copied) {
      expect(letIn, source).toContain(source.replace(/\/$/, ''))
      await access(join(REPO_ROOT, source))
    }
  })
})
