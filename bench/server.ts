import cluster from 'node:cluster';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import { startServer } from '../src/app.ts';
import { runPrimary } from '../src/cluster.ts';
import { loadConfig } from '../src/config.ts';
import { type Database, rawRows } from '../src/db/connection.ts';
import { transaction } from '../src/db/transaction.ts';
import type { App } from '../src/http/types.ts';

/**
 * `regulars serve` plus the benchmark's two ceilings, started by bench/run.ts in its own process:
 * - GET /bench/noop: the cheapest route this server can answer;
 * - GET /bench/read: one indexed read through the same driver and pool as the API;
 * - POST /bench/write: a 6-statement transaction holding a row lock (BEGIN, SELECT … FOR UPDATE,
 *   UPDATE, INSERT, SELECT, COMMIT), on tables bench/run.ts creates outside the schema.
 * Every answer of the API's own routes and of these carries `Server-Timing: app;dur=<ms>` (the
 * dialects' plugins were registered before the hook): Fastify's elapsedTime, from when it began
 * handling the request to its onSend hooks, without the wait for the event loop, the HTTP parsing
 * or the write.
 * BENCH_WORKERS=N runs N processes (node:cluster), as `regulars serve --workers N` does.
 */

function ceilingRoutes(app: App, database: Database) {
  const publicRoute = { config: { auth: 'public' as const }, schema: { hide: true } };
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
    return payload;
  });
  app.get('/bench/noop', publicRoute, async () => ({ ok: true }));
  app.get(
    '/bench/read',
    {
      ...publicRoute,
      schema: { hide: true, querystring: Type.Object({ org: Type.String(), id: Type.String() }) },
    },
    async (request) => {
      const { org, id } = request.query;
      const [row] = await rawRows<{ id: string }>(
        database.db,
        sql`select id, first_name from customers where organization_id = ${org} and id = ${id}`,
      );
      return { found: row !== undefined };
    },
  );
  app.post(
    '/bench/write',
    {
      ...publicRoute,
      schema: { hide: true, querystring: Type.Object({ org: Type.String(), counter: Type.Integer() }) },
    },
    async (request) => {
      const { org, counter } = request.query;
      return transaction(database.db, async (tx) => {
        await tx.execute(
          sql`select value from bench_counters where organization_id = ${org} and id = ${counter} for update`,
        );
        await tx.execute(
          sql`update bench_counters set value = value + 1 where organization_id = ${org} and id = ${counter}`,
        );
        await tx.execute(
          sql`insert into bench_log (organization_id, counter_id) values (${org}, ${counter})`,
        );
        const [row] = await rawRows<{ value: string }>(
          tx,
          sql`select value from bench_counters where organization_id = ${org} and id = ${counter}`,
        );
        return { value: Number(row?.value) };
      });
    },
  );
}

const config = loadConfig();
const workers = Number(process.env.BENCH_WORKERS ?? '1');
if (workers > 1 && cluster.isPrimary) {
  await runPrimary(workers, config);
} else {
  const server = await startServer(config, {
    configureApp: (app, services) => ceilingRoutes(app, services.database),
  });
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
