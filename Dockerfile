# syntax=docker/dockerfile:1
# four-oh-one: build with `docker build -t four-oh-one .`, run with
#   docker run --rm -p 3000:3000 -e JWT_SECRET="$(openssl rand -base64 48)" four-oh-one
# or as several instances behind nginx with Redis through docker-compose.yml.

# --- Build: all dependencies, compile TypeScript to dist/ -----------------------------------------
# Node 22, a supported LTS line (Node 20 left support in April 2026); the code still runs on 20.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore keeps node_modules, dist and .git out of the context.
COPY . .
RUN npm run build

# --- Runtime: production dependencies and the compiled code only ---------------------------------
FROM node:22-bookworm-slim AS runtime
ENV HOST=0.0.0.0 PORT=3000 NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The code stays owned by root and read-only to the server; it writes only its code cache, to /tmp
# (the compose file's tmpfs; src/boot.ts).
USER node
EXPOSE 3000
# Slim images have no curl: ask /readyz with node itself (ready: the store answers; not ready
# while draining on SIGTERM).
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const r = require('node:http').get({ host: '127.0.0.1', port: process.env.PORT || 3000, path: '/readyz', timeout: 3000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1)); r.on('timeout', () => r.destroy()); r.on('error', () => process.exit(1));"]
# node is PID 1 here: src/server.ts handles SIGTERM/SIGINT itself (graceful shutdown). With
# WEB_CONCURRENCY=N and REDIS_URL (docker-compose.yml sets both) it is a cluster's primary that
# passes the signals on to N workers sharing the port; without Redis it stays one process.
# A young generation of 8 MB (default 16): ~20 MB less RSS at 100k sessions, bench/RESULTS.md.
# No --enable-source-maps: it reads and parses every module's source map as the module loads,
# a sixth of the start-up (bench/RESULTS.md); stack traces name dist/ lines instead.
# dist/server.js (src/boot.ts) runs dist/server.bundle.js, the server and the packages a start
# needs in one file (package.json build:bundle), with V8's code cache from the last start.
CMD ["node", "--max-semi-space-size=8", "dist/server.js"]
