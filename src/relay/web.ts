// Serves the web chat client (web/dist). `ensureWebClient` builds it with Vite when the
// build is missing or older than its sources, so `npm ci && npm start` needs no extra step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from './config.ts';

function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Sources of the web client: web/ (without dist) and the device side of src/seal. */
export function webSourcesMtime(): number {
  const web = join(PROJECT_ROOT, 'web');
  let t = newest(join(PROJECT_ROOT, 'src', 'seal'));
  for (const e of readdirSync(web, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = join(web, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export async function ensureWebClient(dist: string, log: (msg: string) => void = () => {}): Promise<void> {
  const index = join(dist, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= webSourcesMtime()) return;
  log(existsSync(index) ? 'web client is older than its sources; rebuilding' : 'building the web client');
  const { build } = await import('vite');
  await build({
    configFile: join(PROJECT_ROOT, 'web', 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir: dist, emptyOutDir: true },
  });
}

export async function webRoutes(
  app: FastifyInstance,
  webClient: { dist: string; connectSrc: string[]; shopUrls?: string[] },
): Promise<void> {
  // Where the chat's "Shop" finds the merchants' catalogues (the chat fetches them itself).
  app.get(
    '/shops.json',
    {
      schema: {
        tags: ['discovery'],
        summary: 'The shops (merchant apps) the web chat may browse',
        querystring: { type: 'object', properties: {}, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            required: ['shops'],
            additionalProperties: false,
            properties: { shops: { type: 'array', items: { type: 'string', format: 'uri' } } },
          },
        },
      },
    },
    async () => ({ shops: webClient.shopUrls ?? [] }),
  );
  if (!existsSync(join(webClient.dist, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Proviso</title><p>The web client is not built. Run <code>npx vite build web</code>.</p>',
        ),
    );
    return;
  }
  // The device fetches each bank's JWKS from the bank itself (not through the relay).
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${webClient.connectSrc.join(' ')}`.trim(),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
  ].join('; ');
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', csp);
  });
  await app.register(fastifyStatic, {
    root: webClient.dist,
    prefix: '/',
    wildcard: false,
    schemaHide: true,
    index: ['index.html'],
    cacheControl: true,
    maxAge: 0,
  });
}
