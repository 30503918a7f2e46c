# syntax=docker/dockerfile:1
# Switchyard image: the sidecar (`serve`), the injection webhook (`inject-webhook`) and the load
# generator (`loadgen`) are all the one `switchyard` binary.
#   docker build -t switchyard:dev .
#   docker run --rm -p 127.0.0.1:4001:4001 switchyard:dev            # embedded demo config
ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# `npm ci` relies on the placeholder lock entries for chdb's other-platform libraries
# (scripts/fix-lock.mjs); without them it refuses the lock file.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Fixed non-root ids: the Kubernetes manifests set runAsUser/runAsGroup 10001 to match.
RUN groupadd --gid 10001 switchyard \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin switchyard \
 && mkdir -p /app/.switchyard /etc/switchyard \
 && chown 10001:10001 /app/.switchyard
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
USER 10001:10001
# 4000: OpenAI-compatible API (loopback by default); 4001: /healthz /readyz /livez /metrics.
EXPOSE 4000 4001
ENTRYPOINT ["node", "bin/switchyard.mjs"]
CMD ["serve"]
