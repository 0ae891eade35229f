import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** A streamed CSV body (documented as text; typed as the stream the handler sends). */
const CsvStream = Type.Unsafe<Readable>({ type: 'string', description: 'CSV text' });

/** The 200 response of a CSV export, for the route's schema (with `produces: ['text/csv']`). */
export const CsvResponse = {
  description: 'CSV with a header row',
  content: { 'text/csv': { schema: CsvStream } },
};

export interface CsvExport {
  columns: readonly string[];
  /** One array of cells per line, read as the client takes them (exports stream, whatever their size). */
  rows: AsyncIterable<string[]>;
  filename: string;
  /** Names the export in the log line of a failure mid-stream, once the status is sent. */
  what: string;
}

/** Answers with the rows as a CSV attachment, streamed. */
export function sendCsv(request: FastifyRequest, reply: FastifyReply, csvExport: CsvExport) {
  const csv = stringify({ header: true, columns: [...csvExport.columns] });
  pipeline(Readable.from(csvExport.rows), csv).catch((error: unknown) =>
    request.log.error({ err: error }, `${csvExport.what} failed mid-stream`),
  );
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${csvExport.filename}"`)
    .send(csv);
}
