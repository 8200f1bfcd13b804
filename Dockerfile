# gpusched daemon image. Multi-stage: the build stage compiles TypeScript and better-sqlite3's native
# module; the runtime stage carries only production dependencies and the compiled output, runs as a
# non-root user, keeps its data in a volume, and reports health through /healthz.
#
#   docker build -t gpusched .
#   docker run -p 7878:7878 -v gpusched-data:/data gpusched
#   docker exec <container> gpusched jobs        # the CLI finds the admin token in /data

FROM node:20-bookworm-slim AS build
WORKDIR /app
# python3, make and g++ build better-sqlite3 from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    GPUSCHED_DATA_DIR=/data \
    GPUSCHED_HOST=0.0.0.0 \
    GPUSCHED_PORT=7878
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY data ./data
COPY migrations ./migrations
COPY policies ./policies
# The dashboard (/ui): static files served as they are.
COPY ui ./ui
RUN ln -s /app/bin/gpusched.js /usr/local/bin/gpusched \
    && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 7878
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.GPUSCHED_PORT||7878)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form: node is PID 1's child-free process and receives SIGTERM directly for a graceful shutdown.
CMD ["node", "bin/gpusched.js", "daemon"]
