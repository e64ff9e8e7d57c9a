# MTA image (Haraka with the PEC plugins); also runs the one-shot jobs (migrations, certificates,
# provider index, retention, backup). Build from the repository root:
#   docker build -f docker/mta.Dockerfile -t pec-mta .

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
# compiles mail/plugins/<name>/dist/index.js
RUN npm run build:mta

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PEC_DATA_DIR=/var/lib/pec MAILDIR_ROOT=/var/mail/pec MTA_HOST=0.0.0.0
RUN apt-get update && apt-get install -y --no-install-recommends openssl ca-certificates tar \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pec && useradd --system --uid 10001 --gid pec --home-dir /var/lib/pec pec \
    && mkdir -p /var/lib/pec /var/mail/pec && chown pec:pec /var/lib/pec /var/mail/pec
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
COPY --from=build /app/mail/plugins ./mail/plugins
USER pec
# unprivileged ports inside the container; compose maps 25/465/587 onto them
EXPOSE 2525 4465 5587
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "docker/smtp-healthcheck.js", "127.0.0.1", "2525"]
# Haraka stops gracefully on SIGINT only
STOPSIGNAL SIGINT
CMD ["node", "--import", "tsx", "docker/mta-entrypoint.ts"]
