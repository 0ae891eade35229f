import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { CSV_COLUMNS } from './csv-columns.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const HEADER =
  'firstName,lastName,email,phone,birthDate,gender,externalId,marketingConsents.email,language,address.country';

function goodRow(i: number): string[] {
  return [
    `First${i}`,
    `Last${i}`,
    `m${i}@import.test`,
    `+34 610 ${String(i).padStart(6, '0').slice(0, 3)} ${String(i).padStart(6, '0').slice(3)}`,
    '1990-01-01',
    i % 2 === 0 ? 'female' : 'male',
    `ext-${i}`,
    'yes',
    'es',
    'ES',
  ];
}

/** Ten bad rows of a 1,000-row file, by index, each with the field it gets wrong. */
const BAD: Record<number, { field: string; change: (row: string[]) => void }> = {
  13: { field: 'email', change: (row) => (row[2] = 'not-an-email') },
  100: { field: 'phone', change: (row) => (row[3] = '12') },
  222: { field: 'birthDate', change: (row) => (row[4] = '2999-01-01') },
  333: { field: 'gender', change: (row) => (row[5] = 'robot') },
  // The same email and external id as row index 10 of the same file.
  444: {
    field: 'email',
    change: (row) => {
      row[2] = 'M10@import.test';
      row[6] = 'ext-10';
    },
  },
  // The email of a member who was there before the import.
  555: { field: 'email', change: (row) => (row[2] = 'existing@import.test') },
  666: { field: 'marketingConsents.email', change: (row) => (row[7] = 'maybe') },
  777: { field: 'firstName', change: (row) => (row[0] = 'x'.repeat(101)) },
  888: { field: 'language', change: (row) => (row[8] = 'xx') },
  999: { field: 'address.country', change: (row) => (row[9] = 'XX') },
};

function thousandRows(): string {
  const lines = [HEADER];
  for (let i = 0; i < 1000; i++) {
    const row = goodRow(i);
    BAD[i]?.change(row);
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The file as a stream of small pieces, as an upload arrives. */
function streamed(text: string, pieceSize = 4096): Readable {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += pieceSize) pieces.push(text.slice(i, i + pieceSize));
  return Readable.from(pieces);
}

async function importCsv(
  org: TestOrganization,
  body: string | Readable,
  query = '',
  contentType = 'text/csv',
) {
  return ctx.app.inject({
    method: 'POST',
    url: `/v1/customers/import${query}`,
    headers: { ...org.headers, 'content-type': contentType },
    payload: body,
  });
}

async function listAll(org: TestOrganization) {
  const all: Record<string, unknown>[] = [];
  let cursor = '';
  for (;;) {
    const response = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      headers: org.headers,
    });
    expectStatus(response, 200);
    all.push(...response.json().data);
    if (!response.json().nextCursor) return all;
    cursor = response.json().nextCursor;
  }
}

describe('importing members from CSV', () => {
  it('imports 1,000 rows with 10 bad ones: 990 created, the 10 reported with row and field; an upsert re-import creates none', async () => {
    const org = await ctx.createOrganization({ country: 'ES' });
    const existing = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: org.headers,
      payload: { email: 'existing@import.test' },
    });
    expectStatus(existing, 201);

    const response = await importCsv(org, streamed(thousandRows()));
    expectStatus(response, 201);
    const job = response.json();
    expect(response.headers.location).toBe(`/v1/customer-imports/${job.id}`);
    expect(job).toMatchObject({
      status: 'completed',
      mode: 'create',
      rowsRead: 1000,
      created: 990,
      updated: 0,
      failed: 10,
      failure: null,
      ignoredColumns: [],
    });
    const reported = job.errors.map((error: { row: number; field: string }) => [error.row, error.field]);
    // Spreadsheet numbering: the header is row 1, so data row index i is row i + 2.
    expect(reported).toEqual(Object.entries(BAD).map(([index, bad]) => [Number(index) + 2, bad.field]));
    expect(job.errors.find((error: { row: number }) => error.row === 446).reason).toMatch(
      /already has this email/,
    );

    const members = await listAll(org);
    expect(members).toHaveLength(991);
    const first = members.find((member) => member.externalId === 'ext-1')!;
    expect(first).toMatchObject({
      firstName: 'First1',
      email: 'm1@import.test',
      phone: '+34610000001',
      gender: 'male',
      language: 'es',
      address: expect.objectContaining({ country: 'ES' }),
      marketingConsents: expect.objectContaining({ email: expect.objectContaining({ granted: true }) }),
    });
    expect(first.loyaltyCardNumber).toMatch(/^[2-9A-HJKMNP-TV-Z]{10}$/);

    const created = await ctx.app.inject({
      method: 'GET',
      url: '/v1/events?type=customer.created&limit=100',
      headers: org.headers,
    });
    expect(created.json().data.at(-1).payload.importId).toBe(job.id);
    let events = 0;
    for (let cursor = ''; ; ) {
      const page = await ctx.app.inject({
        method: 'GET',
        url: `/v1/events?type=customer.created&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        headers: org.headers,
      });
      events += page
        .json()
        .data.filter((event: { payload: { importId?: string } }) => event.payload.importId === job.id).length;
      if (!page.json().nextCursor) break;
      cursor = page.json().nextCursor;
    }
    expect(events).toBe(990);

    const again = await importCsv(org, thousandRows(), '?mode=upsert');
    expectStatus(again, 201);
    expect(again.json()).toMatchObject({ mode: 'upsert', rowsRead: 1000, created: 0 });
    // Rows 444 and 555 now match a member by email and update it; the other eight still fail.
    expect(again.json()).toMatchObject({ updated: 2, unchanged: 990, failed: 8 });
    expect(await listAll(org)).toHaveLength(991);
  });

  it('reports a problem with each row of a bad row, and all errors as CSV', async () => {
    const org = await ctx.createOrganization();
    const csv = 'email,phone,gender\nok@test.com,+34 611 000 001,male\nbad,12,robot\n';
    const job = (await importCsv(org, csv)).json();
    expect(job).toMatchObject({ created: 1, failed: 1 });
    expect(job.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'email',
      'gender',
      'phone',
    ]);
    const errors = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customer-imports/${job.id}/errors.csv`,
      headers: org.headers,
    });
    expectStatus(errors, 200);
    expect(errors.headers['content-type']).toContain('text/csv');
    const rows = parse(errors.body, { columns: true }) as { row: string; field: string }[];
    expect(rows.map((row) => [row.row, row.field]).sort()).toEqual([
      ['3', 'email'],
      ['3', 'gender'],
      ['3', 'phone'],
    ]);
  });

  it('maps other headers through `mapping`, reads `;` files with a BOM, and lists unknown columns', async () => {
    const org = await ctx.createOrganization({ country: 'ES' });
    const csv =
      '\uFEFFNombre;Apellidos;E-mail;Teléfono;Tarjeta;Notas;Labels\nAna;García;ana@test.com;666 111 222;CARD-ANA;hola;vip:oro;alergias\n';
    const mapping = encodeURIComponent(
      'Nombre:firstName;Apellidos:lastName;E-mail:email;Teléfono:phone;Tarjeta:loyaltyCardNumber',
    );
    const response = await importCsv(
      org,
      csv.replace('vip:oro;alergias', '"vip:oro;alergias"'),
      `?mapping=${mapping}`,
    );
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({ created: 1, failed: 0, ignoredColumns: ['Notas'] });
    const [member] = await listAll(org);
    expect(member).toMatchObject({
      firstName: 'Ana',
      lastName: 'García',
      email: 'ana@test.com',
      phone: '+34666111222',
      loyaltyCardNumber: 'CARD-ANA',
      labels: [
        { key: 'vip', value: 'oro' },
        { key: 'alergias', value: '' },
      ],
    });
  });

  it('reads headers named like an object’s own keys (constructor, __proto__, toString) as unknown columns', async () => {
    const org = await ctx.createOrganization();
    const csv = 'constructor,__proto__,toString,hasOwnProperty,email\nx,y,z,w,proto@test.com\n';
    const response = await importCsv(org, csv);
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({
      created: 1,
      failed: 0,
      ignoredColumns: ['constructor', '__proto__', 'toString', 'hasOwnProperty'],
    });
    const mapped = await importCsv(
      org,
      'constructor\nmapped@test.com\n',
      `?mapping=${encodeURIComponent('constructor:email')}`,
    );
    expectStatus(mapped, 201);
    expect(mapped.json()).toMatchObject({ created: 1, mapping: { constructor: 'email' } });
    expect((await listAll(org)).map((member) => member.email).sort()).toEqual([
      'mapped@test.com',
      'proto@test.com',
    ]);
  });

  it('reports a file’s duplicate rows in create mode and applies them in order in upsert mode', async () => {
    const org = await ctx.createOrganization();
    const csv = 'externalId,firstName\nx-1,Ann\nx-1,Anna\n';
    expect((await importCsv(org, csv)).json()).toMatchObject({
      created: 1,
      failed: 1,
      errors: [{ row: 3, field: 'externalId' }],
    });
    const other = await ctx.createOrganization();
    expect((await importCsv(other, csv, '?mode=upsert')).json()).toMatchObject({
      created: 1,
      updated: 1,
      failed: 0,
    });
    const [member] = await listAll(other);
    expect(member!.firstName).toBe('Anna');
  });

  it('in upsert mode, never erases a value with an empty cell and reports the changed fields', async () => {
    const org = await ctx.createOrganization();
    await importCsv(org, 'email,firstName,lastName\nkeep@test.com,Keep,Me\n');
    const response = await importCsv(org, 'email,firstName,lastName\nKEEP@test.com,Kept,\n', '?mode=upsert');
    expect(response.json()).toMatchObject({ created: 0, updated: 1 });
    const [member] = await listAll(org);
    expect(member).toMatchObject({ email: 'keep@test.com', firstName: 'Kept', lastName: 'Me' });
    const updated = await ctx.app.inject({
      method: 'GET',
      url: `/v1/events?type=customer.updated&subjectId=${member!.id}`,
      headers: org.headers,
    });
    expect(updated.json().data[0].payload).toMatchObject({
      changed: ['firstName'],
      importId: response.json().id,
    });
  });

  it('refuses an upsert row that matches two different members', async () => {
    const org = await ctx.createOrganization();
    await importCsv(org, 'email,externalId\na@test.com,A\nb@test.com,B\n');
    const response = await importCsv(org, 'email,externalId\nb@test.com,A\n', '?mode=upsert');
    expect(response.json()).toMatchObject({ failed: 1, errors: [{ row: 2, field: 'email' }] });
  });

  it('answers 422 and creates no job when no column maps to a field, or the mapping names a missing column', async () => {
    const org = await ctx.createOrganization();
    for (const [csv, query, path] of [
      ['foo,bar\n1,2\n', '', 'body'],
      ['', '', 'body'],
      ['email\na@test.com\n', '?mapping=Correo:email', 'query.mapping'],
      ['email\na@test.com\n', '?mapping=email:nickname', 'query.mapping'],
    ] as const) {
      const response = await importCsv(org, csv, query);
      expectStatus(response, 422);
      expect(response.json().errors[0].path).toBe(path);
    }
    const jobs = await ctx.app.inject({ method: 'GET', url: '/v1/customer-imports', headers: org.headers });
    expect(jobs.json().data).toEqual([]);
    expect(await listAll(org)).toEqual([]);
  });

  // PostgreSQL's text cannot hold U+0000, and an upload's cells never pass the request's NUL guard.
  it('refuses a NUL character in the header with a 422, and a row holding one as that row’s error', async () => {
    const org = await ctx.createOrganization();
    for (const header of ['Notes\u0000,email', 'e\u0000mail']) {
      const response = await importCsv(org, `${header}\na@test.com\n`);
      expectStatus(response, 422);
      expect(response.json().errors).toEqual([
        { path: 'body', message: expect.stringMatching(/^the header row.*NUL character/) },
      ]);
    }
    const jobs = await ctx.app.inject({ method: 'GET', url: '/v1/customer-imports', headers: org.headers });
    expect(jobs.json().data).toEqual([]);

    const response = await importCsv(
      org,
      'email,firstName,labels\na@test.com,A\u0000na,\nb@test.com,Bea,vip:a\u0000\nc@test.com,Carla,\n',
    );
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({
      created: 1,
      failed: 2,
      errors: [
        { row: 2, field: 'firstName', reason: 'must not contain the NUL character (\\u0000)' },
        { row: 3, field: 'labels', reason: 'must not contain the NUL character (\\u0000)' },
      ],
    });
    expect((await listAll(org)).map((member) => member.email)).toEqual(['c@test.com']);
  });

  it('answers 415 to a body that is not CSV', async () => {
    const org = await ctx.createOrganization();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers/import',
      headers: org.headers,
      payload: { email: 'a@test.com' },
    });
    expectStatus(response, 415);
  });

  it('keeps the rows before a malformed line and says where the file broke', async () => {
    const org = await ctx.createOrganization();
    const response = await importCsv(org, 'email,firstName\na@test.com,A\nb@test.com,"B"x\nc@test.com,C\n');
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({ status: 'failed', rowsRead: 1, created: 1 });
    expect(response.json().failure).toMatch(/line 3/);
    expect(response.json().failure).toMatch(/malformed/);
  });

  it('shows progress while the upload is still streaming in', async () => {
    const org = await ctx.createOrganization();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => `p${from + k}@test.com\n`).join('');
    const upload = Readable.from(
      (async function* () {
        yield `email\n${rows(0, 600)}`;
        await gate;
        yield rows(600, 700);
      })(),
    );
    const pending = importCsv(org, upload);
    let running: Record<string, unknown> | undefined;
    for (let attempt = 0; attempt < 200 && !running; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const jobs = await ctx.app.inject({ method: 'GET', url: '/v1/customer-imports', headers: org.headers });
      const [job] = jobs.json().data;
      if (job?.rowsRead === 500) running = job;
    }
    release();
    expect(running).toMatchObject({ status: 'running', rowsRead: 500, created: 500, finishedAt: null });
    const done = await pending;
    expect(done.json()).toMatchObject({ status: 'completed', rowsRead: 700, created: 700 });
    const fetched = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customer-imports/${done.json().id}`,
      headers: org.headers,
    });
    expect(fetched.json()).toEqual(done.json());
  });
});

describe('exporting members as CSV', () => {
  it('streams every member with the documented columns, and the file re-imports as is', async () => {
    const org = await ctx.createOrganization();
    const payloads = [
      {
        firstName: 'Bruce',
        lastName: 'Wayne, Jr.',
        email: 'bruce@test.com',
        phone: '+34 666 666 666',
        address: { street: 'Carrer "Gran"', city: 'Barcelona', country: 'ES' },
        labels: [
          { key: 'vip', value: 'gold' },
          { key: 'team', value: '' },
        ],
        marketingConsents: { email: true, sms: false },
        internalNote: 'line one\nline two',
      },
      { firstName: 'Selina', externalId: 'sel-1' },
    ];
    for (const payload of payloads) {
      expectStatus(
        await ctx.app.inject({ method: 'POST', url: '/v1/customers', headers: org.headers, payload }),
        201,
      );
    }
    const response = await ctx.app.inject({
      method: 'GET',
      url: '/v1/customers/export.csv',
      headers: org.headers,
    });
    expectStatus(response, 200);
    expect(response.headers['content-type']).toContain('text/csv');
    const [header, ...rows] = parse(response.body) as string[][];
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(2);
    const bruce = Object.fromEntries(header!.map((column, i) => [column, rows[0]![i]]));
    expect(bruce).toMatchObject({
      lastName: 'Wayne, Jr.',
      phone: '+34666666666',
      'address.street': 'Carrer "Gran"',
      labels: 'vip:gold;team',
      'marketingConsents.email': 'true',
      'marketingConsents.sms': 'false',
      'marketingConsents.push': '',
      internalNote: 'line one\nline two',
      status: 'active',
    });

    const copy = await ctx.createOrganization();
    const reimport = await importCsv(copy, response.body);
    expect(reimport.json()).toMatchObject({ created: 2, failed: 0 });
    expect(reimport.json().ignoredColumns).toEqual([]);
    const strip = (member: Record<string, unknown>) => {
      const { id, createdAt, updatedAt, referralCode, marketingConsents, ...rest } = member;
      return rest;
    };
    expect((await listAll(copy)).map(strip)).toEqual((await listAll(org)).map(strip));
  });

  it('exports only the filtered members', async () => {
    const org = await ctx.createOrganization();
    const member = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: org.headers,
      payload: { firstName: 'Blocked' },
    });
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: org.headers,
      payload: { firstName: 'Fine' },
    });
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${member.json().id}/block`,
      headers: org.headers,
    });
    const response = await ctx.app.inject({
      method: 'GET',
      url: '/v1/customers/export.csv?status=blocked',
      headers: org.headers,
    });
    const [, ...rows] = parse(response.body) as string[][];
    expect(rows.map((row) => row[1])).toEqual(['Blocked']);
  });
});
