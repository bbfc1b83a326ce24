# syntax=docker/dockerfile:1
#
# libp2p-peer-tracker image: build with the dev dependencies, run with the production
# ones only, as the unprivileged `node` user.
#
#   docker build -t libp2p-peer-tracker .
#   docker run -p 9089:9089 -p 4001:4001 -v tracker-data:/data libp2p-peer-tracker
#
# Node 24 is the active LTS line; the tag is pinned to an exact release (bump it on
# purpose, together with the engines field if needed).
ARG NODE_IMAGE=node:24.20.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# /data holds the node's identity key (--p2p.identity-file) so the peer ID survives
# restarts; mount a volume there.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node

# 9089: HTTP (/metrics, /-/healthy, /-/ready). 4001: libp2p (TCP).
EXPOSE 9089 4001

# Slim images have no curl or wget: ask Node's own fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9089/-/healthy').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--web.listen-address=0.0.0.0:9089", "--p2p.listen=/ip4/0.0.0.0/tcp/4001", "--p2p.identity-file=/data/identity.key"]
