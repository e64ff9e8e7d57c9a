# Portal image (Next.js admin portal). Build from the repository root:
#   docker build -f docker/portal.Dockerfile -t pec-portal .
# Stage 1 installs everything (dev dependencies included) and builds; the final stage has only
# production dependencies, the build output and the sources the runtime scripts need, and runs
# as an unprivileged user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx next build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PEC_DATA_DIR=/var/lib/pec
# openssl: certificate and signature checks of the operational scripts; tar: backups
RUN apt-get update && apt-get install -y --no-install-recommends openssl ca-certificates tar \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pec && useradd --system --uid 10001 --gid pec --home-dir /var/lib/pec pec \
    && mkdir -p /var/lib/pec && chown pec:pec /var/lib/pec
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
# postinstall (prisma generate) writes the client into prisma/generated
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
COPY --from=build /app/.next ./.next
RUN chown -R pec:pec /app/.next
USER pec
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "docker/http-healthcheck.js", "http://127.0.0.1:3000/api/health"]
CMD ["node", "node_modules/next/dist/bin/next", "start", "-H", "0.0.0.0", "-p", "3000"]
