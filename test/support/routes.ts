import type { App } from '../../src/http/types.ts';

/**
 * Every `METHOD /path` the server answers, rebuilt from Fastify's route tree: each line holds
 * a path segment that continues its parent's (`/v1/organization` + `s` = `/v1/organizations`).
 */
export function servedRoutes(app: App): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+) \(([A-Z, ]+)\)/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    const path = (prefixes[depth - 1] ?? '') + (match[2] as string);
    prefixes[depth] = path;
    for (const method of (match[3] as string).split(', ')) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, path });
    }
  }
  return routes;
}
