import pg from 'pg';
import { cpuSpentSince, postgresProcesses, readCpu, scratchDatabase, writeResult } from './support.ts';

/**
 * `DATABASE_URL=… npx tsx bench/one-call.ts [seconds]`: what sending a transaction's statements one
 * by one costs against sending the same work as one call of a server-side function. The work is the
 * ceiling's 6-statement locked write of `npm run bench` (BEGIN, SELECT … FOR UPDATE, UPDATE,
 * INSERT, SELECT, COMMIT), 32 connections of node-postgres, statements prepared as the API's are;
 * the other way it is one PL/pgSQL function doing the same four statements. Each way runs twice,
 * alternated, after a second's warm-up. It reports transactions/s and the CPU one transaction
 * cost PostgreSQL (its processes, from /proc) and the client.
 *
 * It answers one question for the ticket's targets (README, "Where this stands"): how much of a
 * transaction's cost is its round trips, the part that making the ticket one server-side function
 * would save. PostgreSQL only: the embedded engine has no round trips to save.
 */

const SERVER_URL = process.env.DATABASE_URL;
const SECONDS = Number(process.argv[2] ?? 8);
if (!(SECONDS > 0)) throw new Error(`seconds must be a positive number, not ${process.argv[2]}`);
const CONNECTIONS = 32;
const COUNTERS = 1_000;

type Way = 'statements' | 'one call';

const SCHEMA = `
  create table counters (id int primary key, value bigint not null default 0);
  create table counter_log (id bigserial primary key, counter_id int not null, at timestamptz not null default now());
  insert into counters select g from generate_series(1, ${COUNTERS}) g;
  create function count_up(counter int) returns bigint language plpgsql as $$
  declare counted bigint;
  begin
    perform value from counters where id = counter for update;
    update counters set value = value + 1 where id = counter;
    insert into counter_log (counter_id) values (counter);
    select value into counted from counters where id = counter;
    return counted;
  end $$;`;

async function statementByStatement(client: pg.Client, counter: number) {
  await client.query('begin');
  await client.query({
    name: 'lock',
    text: 'select value from counters where id = $1 for update',
    values: [counter],
  });
  await client.query({
    name: 'add',
    text: 'update counters set value = value + 1 where id = $1',
    values: [counter],
  });
  await client.query({
    name: 'log',
    text: 'insert into counter_log (counter_id) values ($1)',
    values: [counter],
  });
  await client.query({ name: 'read', text: 'select value from counters where id = $1', values: [counter] });
  await client.query('commit');
}

async function oneCall(client: pg.Client, counter: number) {
  await client.query({ name: 'count_up', text: 'select count_up($1)', values: [counter] });
}

/** Every connection sends transactions back to back for `seconds`; returns how many were done. */
async function drive(clients: pg.Client[], way: Way, seconds: number): Promise<number> {
  const send = way === 'statements' ? statementByStatement : oneCall;
  const until = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (Date.now() < until) {
        await send(client, 1 + Math.floor(Math.random() * COUNTERS));
        done++;
      }
    }),
  );
  return done;
}

async function measure(databaseUrl: string, way: Way) {
  const clients = Array.from({ length: CONNECTIONS }, () => new pg.Client({ connectionString: databaseUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  try {
    await drive(clients, way, 1);
    const postgresBefore = readCpu(postgresProcesses);
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    const done = await drive(clients, way, SECONDS);
    const elapsedS = (performance.now() - started) / 1000;
    const postgresMs = cpuSpentSince(postgresBefore, postgresProcesses);
    const client = process.cpuUsage(clientBefore);
    const perTransaction = (ms: number) => Math.round((1000 * ms) / done) / 1000;
    return {
      way,
      transactionsPerSecond: Math.round(done / elapsedS),
      postgresCpuMsPerTransaction: postgresMs === null ? null : perTransaction(postgresMs),
      clientCpuMsPerTransaction: perTransaction((client.user + client.system) / 1000),
    };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

async function main() {
  if (!SERVER_URL) throw new Error('set DATABASE_URL: this compares round trips to a PostgreSQL server');
  const target = await scratchDatabase(SERVER_URL);
  try {
    const setup = new pg.Client({ connectionString: target.databaseUrl });
    await setup.connect();
    try {
      await setup.query(SCHEMA);
    } finally {
      await setup.end();
    }
    const results = [];
    for (const way of ['statements', 'one call', 'statements', 'one call'] as const) {
      const result = await measure(target.databaseUrl!, way);
      results.push(result);
      console.log(
        `${way.padEnd(10)} ${result.transactionsPerSecond} transactions/s, CPU per transaction: PostgreSQL ${result.postgresCpuMsPerTransaction ?? 'n/a'} ms, client ${result.clientCpuMsPerTransaction} ms`,
      );
    }
    console.log(
      `written to ${writeResult('one-call', { connections: CONNECTIONS, seconds: SECONDS, results })}`,
    );
  } finally {
    await target.cleanup();
  }
}

await main();
