import { describe, expect, it } from 'vitest'
import { ENCRYPTIONS, MUXERS, encryptionOf, muxerOf, transportOf } from '../../src/tracker/connection-labels.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'

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

  it('counts a relayed connection as circuit, and a peer relayed and direct at once as one peer', () => {
    const tracker = new PeerAccount({ now: () => 0 })
    const direct = `/ip4/1.2.3.4/tcp/4001/p2p/${PEER}`
    const relayed = `/ip4/5.6.7.8/udp/4001/quic-v1/p2p/${PEER}/p2p-circuit/p2p/QmPeer`
    tracker.connectionOpened({ id: 'c1', peerId: 'QmPeer', direction: 'inbound', remoteAddr: relayed, transport: transportOf(relayed), encryption: 'noise', muxer: 'yamux' })
    tracker.connectionOpened({ id: 'c2', peerId: 'QmPeer', direction: 'outbound', remoteAddr: direct, transport: transportOf(direct), encryption: 'noise', muxer: 'yamux' })
    expect(tracker.connectedPeers).toBe(1)
    const open = Array.from(tracker.connectionCountsByLabels(), c => [c.labels.transport, c.opened - c.closed])
    expect(open).toEqual([['circuit', 1], ['tcp', 1]])
    // The relayed connection ends (relays limit them); the direct one carries the session on.
    tracker.connectionClosed('c1')
    expect(tracker.connectedPeers).toBe(1)
    expect(tracker.totalDisconnects()).toBe(0)
  })
})
