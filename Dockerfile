# syntax=docker/dockerfile:1
# Switchboard: multi-stage build, production dependencies only, runs as a non-root user.
#   docker build -t switchboard .
#   docker run -p 3000:3000 -v switchboard-data:/data switchboard

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native addon.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .puppeteerrc.cjs ./
# Install without lifecycle scripts (the sources are not here yet), then build the one native addon.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY src ./src
COPY adapters ./adapters
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    BOT_DIR=/app
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json .puppeteerrc.cjs ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node scripts ./scripts
COPY --chown=node:node adapters/web/public ./adapters/web/public
# The bot's content (the sample shop bot; mount or COPY your own over it). Its TypeScript
# actions are compiled on load by the `typescript` runtime dependency.
COPY --chown=node:node intents ./intents
COPY --chown=node:node flows ./flows
COPY --chown=node:node shop-data ./shop-data
COPY --chown=node:node actions ./actions
COPY --chown=node:node handoff.yml ./handoff.yml
COPY --chown=node:node test/conversations ./test/conversations
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# node itself is the container's main process, so `docker stop`'s SIGTERM reaches it and
# the graceful drain runs (npm would not pass the signal on). dist/ was built above.
CMD ["node", "--enable-source-maps", "bin/switchboard.js", "start"]
