# sluice worker image. Build: docker build -t sluice:0.1.0 .   Run: docker run sluice:0.1.0 standalone …
# The Node version is the one the test suite runs on; pinned to the patch release.

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Not `npm ci`: the lock file records only the platform packages (esbuild, biome, rollup) that the registry
# mirror of our build machines serves, and `npm ci` rejects a lock that lacks the others (docs/FACTS.md).
# `npm install` keeps the locked versions. --ignore-scripts: `prepare` builds, and the sources are not here yet.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/runtime ./dist/runtime
COPY --from=build /src/dist/connectors ./dist/connectors
# The worker's state (offsets, connector configs, schema history) lives in /var/lib/sluice: mount a volume there.
RUN groupadd --system --gid 10001 sluice \
  && useradd --system --uid 10001 --gid sluice --home-dir /var/lib/sluice --shell /usr/sbin/nologin sluice \
  && mkdir -p /var/lib/sluice \
  && chown sluice:sluice /var/lib/sluice \
  && chmod +x dist/runtime/cli.js \
  && ln -s /app/dist/runtime/cli.js /usr/local/bin/sluice
USER sluice
EXPOSE 8083
# /health answers 200 once the worker has started, 503 while it starts or stops (Kafka Connect's semantics).
# The slim image has no curl: Node's fetch does the request. With rest.auth.* set, /health needs credentials too:
# override this HEALTHCHECK then (or accept 401 as alive).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8083/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["sluice"]
CMD ["--help"]
