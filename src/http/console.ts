import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { App } from './types.ts';

/** Where `npm run build` puts the console (Vite, web/vite.config.ts): the same from src/ and dist/. */
export const CONSOLE_DIR = join(import.meta.dirname, '..', '..', 'dist', 'console');

const hidden = { hide: true };
const YEAR_MS = 365 * 86_400_000;

/**
 * The web console at /console/: a built file when the path names one (Vite's hashed assets cached
 * for good), index.html for every other path (the page's router takes it from there). Files are
 * looked up per request, so a server started before `npm run build:web` serves the new build.
 * Without a build (only `tsc` ran, or `tsx src/cli.ts serve`), /console answers 503 saying how
 * to build it, and the API works as ever.
 */
export async function registerConsole(app: App, dir: string = CONSOLE_DIR): Promise<void> {
  // Only reply.sendFile: the one route below decides what each path serves.
  await app.register(fastifyStatic, { root: dir, serve: false });
  app.get('/console', { schema: hidden }, (_request, reply) => reply.redirect('/console/'));
  // The till's short address, for a tablet's bookmark: the console's till page (cashiers land there).
  app.get('/till', { schema: hidden }, (_request, reply) => reply.redirect('/console/till'));
  app.get<{ Params: { '*': string } }>('/console/*', { schema: hidden }, (request, reply) => {
    if (!existsSync(join(dir, 'index.html'))) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built. Run `npm run build` (or `npm run build:web`), then reload.\n');
    }
    const path = request.params['*'];
    // @fastify/send refuses paths that leave `dir` (.., encoded or not) and dotfiles.
    if (path.startsWith('assets/') && statSync(join(dir, path), { throwIfNoEntry: false })?.isFile()) {
      return reply.sendFile(path, dir, { maxAge: YEAR_MS, immutable: true });
    }
    if (path.startsWith('assets/')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dir, { cacheControl: false });
  });
}
