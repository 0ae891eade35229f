import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './types.ts';

/** Where `npm run build` puts the console (Vite, web/vite.config.ts): the same from src/ and dist/. */
export const CONSOLE_DIR = join(import.meta.dirname, '..', '..', 'dist', 'console');

const hidden = { hide: true };

/**
 * The web console at /console/: its hashed assets cached for good, every other path answered with
 * index.html (the page's router takes it from there). Without a build (a checkout where only the
 * server was compiled, or `tsx src/cli.ts`), /console answers 503 saying how to build it, and
 * the API works as ever.
 */
export async function registerConsole(app: App, dir: string = CONSOLE_DIR): Promise<void> {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    const notBuilt = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built. Run `npm run build` (or `npm run build:web`), then reload.\n');
    app.get('/console', { schema: hidden }, notBuilt);
    app.get('/console/*', { schema: hidden }, notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    // One route per built file, so the catch-all below answers every other path with the page.
    wildcard: false,
    index: false,
    schemaHide: true,
    setHeaders(reply, path) {
      // Vite names assets by their content hash: a file under assets/ never changes.
      reply.header(
        'cache-control',
        path.includes(join('console', 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  app.get('/console', { schema: hidden }, (_request, reply) => reply.redirect('/console/'));
  app.get('/console/*', { schema: hidden }, (_request, reply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html', dir),
  );
}
