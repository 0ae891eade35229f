import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { isUuid } from '../domain/customers.ts';
import type { App } from './types.ts';

/** Where `npm run build` puts the console (Vite, web/vite.config.ts): the same from src/ and dist/. */
export const CONSOLE_DIR = join(import.meta.dirname, '..', '..', 'dist', 'console');
/** Where it puts the member pages (web/vite.member.config.ts). */
export const MEMBER_DIR = join(import.meta.dirname, '..', '..', 'dist', 'member');

const hidden = { hide: true };
const YEAR_MS = 365 * 86_400_000;

/**
 * One of the web apps' paths: a built file when the path names one (Vite's hashed assets cached
 * for good), index.html for every other path (the page's router takes it from there). Files are
 * looked up per request, so a server started before `npm run build:web` serves the new build.
 * Without a build (only `tsc` ran, or `tsx src/cli.ts serve`), 503 saying how to build it.
 */
function serveApp(reply: FastifyReply, dir: string, what: string, path: string) {
  if (!existsSync(join(dir, 'index.html'))) {
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send(`The ${what} not built. Run \`npm run build\` (or \`npm run build:web\`), then reload.\n`);
  }
  // @fastify/send refuses paths that leave `dir` (.., encoded or not) and dotfiles.
  if (path.startsWith('assets/') && statSync(join(dir, path), { throwIfNoEntry: false })?.isFile()) {
    return reply.sendFile(path, dir, { maxAge: YEAR_MS, immutable: true });
  }
  if (path.startsWith('assets/')) return reply.callNotFound();
  return reply.header('cache-control', 'no-cache').sendFile('index.html', dir, { cacheControl: false });
}

/** The web console at /console/, and the member pages at /m/{organizationId}/. */
export async function registerConsole(
  app: App,
  dir: string = CONSOLE_DIR,
  memberDir: string = MEMBER_DIR,
): Promise<void> {
  // Only reply.sendFile: the routes below decide what each path serves.
  await app.register(fastifyStatic, { root: dir, serve: false });
  app.get('/console', { schema: hidden }, (_request, reply) => reply.redirect('/console/'));
  // The till's short address, for a tablet's bookmark: the console's till page (cashiers land there).
  app.get('/till', { schema: hidden }, (_request, reply) => reply.redirect('/console/till'));
  app.get<{ Params: { '*': string } }>('/console/*', { schema: hidden }, (request, reply) =>
    serveApp(reply, dir, 'console is', request.params['*']),
  );
  registerMemberPages(app, memberDir);
}

/**
 * The member pages: /m/{organizationId}/… (the address on the table's QR) answers the app's
 * index.html; its assets, service worker (scope /m/, so it sees every organization's pages and
 * never answers for /v1) and icon are shared by every organization under /m/.
 */
function registerMemberPages(app: App, dir: string) {
  const what = 'member pages are';
  app.get<{ Params: { '*': string } }>('/m/*', { schema: hidden }, (request, reply) => {
    const path = request.params['*'];
    if (path.startsWith('assets/')) return serveApp(reply, dir, what, path);
    if (path === 'sw.js') {
      return reply.header('cache-control', 'no-cache').sendFile('sw.js', dir, { cacheControl: false });
    }
    if (path === 'icon.svg') return reply.sendFile('icon.svg', dir, { maxAge: 86_400_000 });
    const [organizationId, ...page] = path.split('/');
    if (!organizationId || !isUuid(organizationId)) return reply.callNotFound();
    if (page.length === 0) return reply.redirect(`/m/${organizationId}/`);
    return serveApp(reply, dir, what, '');
  });
}
