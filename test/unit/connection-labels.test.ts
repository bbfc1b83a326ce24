import { describe, expect, it } from 'vitest'
import { ENCRYPTIONS, MUXERS, encryptionOf, muxerOf, transportOf } from '../../src/tracker/connection-labels.js'

const PEER = '12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'

describe('connection labels', () => {
  it.each([
    ['/ip4/1.2.3.4/tcp/4001', 'tcp'],
    ['/ip4/1.2.3.4/udp/4001/quic-v1', 'quic'],
    ['/ip6/::1/tcp/4001/ws', 'ws'],
    ['/ip4/1.2.3.4/tcp/443/tls/ws', 'wss'],
    ['/ip4/1.2.3.4/udp/4001/webrtc-direct/certhash/uEiAgF0Jr5_vUmcadTUfgSc35SoKO_agWp4jxqNFT5d5wlA', 'webrtc'],
    [`/ip4/1.2.3.4/udp/4001/quic-v1/p2p/${PEER}/p2p-circuit`, 'circuit'],
    [`/ip4/1.2.3.4/tcp/4001/p2p/${PEER}/p2p-circuit/webrtc`, 'circuit']
  ])('%s is %s', (addr, transport) => {
    expect(transportOf(addr)).toBe(transport)
  })

  it('labels what libp2p reports for QUIC and WebRTC-direct truthfully (native encryption, their own muxers)', () => {
    expect(encryptionOf('native', 'quic')).toBe('tls')
    expect(muxerOf('quic')).toBe('quic')
    expect(encryptionOf('native', 'webrtc')).toBe('dtls')
    expect(muxerOf('/webrtc')).toBe('webrtc')
    expect(encryptionOf('native', 'tcp')).toBe('other')
    expect(encryptionOf('native')).toBe('other')
    expect(encryptionOf('/noise', 'ws')).toBe('noise')
    expect(muxerOf('/yamux/1.0.0')).toBe('yamux')
    expect(muxerOf('/something/else')).toBe('other')
  })

  it('keeps the label sets bounded, with other last', () => {
    expect(ENCRYPTIONS).toContain('dtls')
    expect(MUXERS).toEqual(expect.arrayContaining(['quic', 'webrtc']))
    expect(ENCRYPTIONS.indexOf('other')).toBeGreaterThan(ENCRYPTIONS.indexOf('dtls'))
    expect(MUXERS.indexOf('other')).toBeGreaterThan(MUXERS.indexOf('webrtc'))
  })
})
