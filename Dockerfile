# syntax=docker/dockerfile:1
# Relay IM server. Build: docker build -t relay-im .
# Run (embedded PGlite in the /data volume):
#   docker run -p 3000:3000 -e JWT_SECRET=... -v relay-data:/data relay-im
# Run on PostgreSQL + Redis: add -e DATABASE_URL=postgresql://... -e REDIS_URL=redis://...

# ---- build: all dependencies, Prisma client generation, TypeScript compile -------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# What the postinstall (`node scripts/prisma.mjs generate`) needs, before `npm ci` runs it.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
# The SDK workspace: the postinstall builds it, and the server imports its protocol module.
COPY packages ./packages
RUN npm ci --no-audit --no-fund
COPY . .
# Generates src/generated/prisma and compiles src/ (the generated client included) to dist/.
RUN npm run build

# ---- runtime: production dependencies and the compiled output only --------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# The workspace package's manifest and build (@relay-im/client/protocol is imported at run time).
COPY --from=build /app/packages/client/package.json ./packages/client/package.json
COPY --from=build /app/packages/client/dist ./packages/client/dist
# --ignore-scripts: the root postinstall runs `prisma generate`, which needs the prisma CLI
# (a devDependency); the generated client comes compiled in dist/ from the build stage.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Applied at start by the built-in migrator (found by walking up from dist/src/db).
COPY --from=build /app/prisma ./prisma
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# No curl in the slim image: Node's own fetch probes liveness.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM reaches node directly (exec form): readiness goes red, then a graceful close.
CMD ["node", "dist/src/server.js"]
