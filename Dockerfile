# syntax=docker/dockerfile:1
#
# libp2p-peer-tracker image: the CLI (the package in packages/cli, whose dependencies npm's
# workspace installs). Build with the dev dependencies, run with the production ones only, as
# the unprivileged `node` user.
#
#   docker build --build-arg REVISION=$(git rev-parse --short HEAD) -t libp2p-peer-tracker .
#   docker run -p 9089:9089 -p 4001:4001 -p 4001:4001/udp -p 4002:4002/udp -v tracker-data:/data libp2p-peer-tracker
#
# Node 24 is the active LTS line; the tag is pinned to an exact release (bump it on
# purpose, together with the engines field if needed).
ARG NODE_IMAGE=node:24.20.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/cli/package.json ./packages/cli/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The workspace's link to packages/cli goes: the image runs the CLI from dist/, not as a package.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm node_modules/libp2p-peer-tracker-cli

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LIBP2P_TRACKER_WEB_LISTEN_ADDRESS=0.0.0.0:9089
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# /data holds the node's identity key (--p2p.identity-file) so the peer ID survives
# restarts, and the store (--storage.path: peer history, libp2p's peer store; docs/storage.md);
# mount a volume there. /demo-targets is where the compose `demo` profile's
# tracker-demo writes its file_sd target for Prometheus (a volume owned by node).
RUN mkdir -p /data /demo-targets && chown node:node /data /demo-targets
VOLUME ["/data"]
USER node

# 9089: HTTP (/metrics, /-/healthy, /-/ready). libp2p: 4001/tcp (TCP), 4001/udp (QUIC-v1),
# 4002/udp (WebRTC-direct: js-libp2p's QUIC and WebRTC-direct cannot share a UDP port).
EXPOSE 9089 4001/tcp 4001/udp 4002/udp

# Where the web server listens: LIBP2P_TRACKER_WEB_LISTEN_ADDRESS (above; every interface,
# so published ports and other containers reach it). Change it with this variable, e.g.
# `docker run -e LIBP2P_TRACKER_WEB_LISTEN_ADDRESS=0.0.0.0:9100`, rather than with
# --web.listen-address: the healthcheck reads the variable to know where to ask.
#
# Healthcheck: GET /-/healthy over plain HTTP on loopback (0.0.0.0 and :: mean all
# interfaces, so it asks 127.0.0.1 or ::1), with Node's own fetch (slim images have no
# curl or wget). 200 is healthy; so are 401 and 429: --web.config.file's basic_auth_users
# and rate_limit apply to every path, /-/healthy too (as in exporter-toolkit), and such an
# answer still proves the server is up. Anything else, or no answer in 4 s, is unhealthy.
# With tls_server_config it cannot connect over HTTP: override the healthcheck then (see
# docs/monitoring.md#start-it).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const address = process.env.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS || ':9089'; \
    const colon = address.lastIndexOf(':'); \
    let host = address.slice(0, colon); \
    if (host.startsWith('[')) host = host.slice(1, -1); \
    if (host === '' || host === '0.0.0.0') host = '127.0.0.1'; \
    if (host === '::') host = '::1'; \
    if (host.includes(':')) host = '[' + host + ']'; \
    fetch('http://' + host + ':' + address.slice(colon + 1) + '/-/healthy', { signal: AbortSignal.timeout(4000) }) \
      .then((r) => process.exit(r.ok || r.status === 401 || r.status === 429 ? 0 : 1), () => process.exit(1))"]

# The git revision this image is built from, exported as revision="..." in
# libp2p_tracker_build_info (src/version.ts); "unknown" when not given:
#   docker build --build-arg REVISION=$(git rev-parse --short HEAD) -t libp2p-peer-tracker .
# Last, so that a new revision rebuilds no other layer.
ARG REVISION=unknown
LABEL org.opencontainers.image.revision=$REVISION
ENV LIBP2P_TRACKER_REVISION=$REVISION

ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--p2p.listen=/ip4/0.0.0.0/tcp/4001", "--p2p.listen=/ip4/0.0.0.0/udp/4001/quic-v1", "--p2p.listen=/ip4/0.0.0.0/udp/4002/webrtc-direct", "--p2p.identity-file=/data/identity.key", "--storage.path=/data/store"]
