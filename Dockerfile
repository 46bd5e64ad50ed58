# Herald: api + worker in one image. `docker compose up` runs it beside
# Postgres, Redis and Mailpit; production runs the same image as separate
# api and worker services (command: npm run start:api / start:worker).
# Node 24 (active LTS); CI runs the tests on 24.22.3 and on 20.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js", "--with-worker"]
