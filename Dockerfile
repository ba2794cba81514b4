# syntax=docker/dockerfile:1
# Guichet's image: compiled JavaScript on Node 22 (the LTS oidc-provider supports), run as `node`.
#   docker build -t guichet .
#   docker compose up --build          (with Postgres, Redis and Mailpit: docker-compose.yml)

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- toolchain: argon2 compiles its native binding at install time (node-gyp) ----
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

# ---- build: every dependency, then tsc -p tsconfig.build.json → dist/ ----
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY views ./views
COPY migrations ./migrations
# tsc copies no stylesheet: put views/static beside the compiled views (dist/views), which is where
# src/http/static-files.ts looks first from dist/src/http.
RUN npm run build \
 && mkdir -p dist/views/static \
 && cp -R views/static/. dist/views/static/

# ---- prod-deps: runtime dependencies only, argon2 compiled here for the runtime image's glibc ----
FROM toolchain AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: no compiler, no dev dependencies, no sources ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# package.json carries "type": "module", which makes dist/**/*.js ES modules.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The embedded database (used only when DATABASE_URL is unset) is written to GUICHET_DATA_DIR,
# .guichet by default: the one folder the process may write to.
RUN mkdir -p /app/.guichet && chown node:node /app/.guichet
USER node
EXPOSE 3000
# /healthz: the process answers (liveness). /readyz also checks Postgres and Redis (readiness).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1: src/main.ts stops cleanly on SIGTERM (docker stop) and SIGINT.
CMD ["node", "dist/src/main.js"]
