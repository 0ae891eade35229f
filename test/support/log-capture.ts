import { Writable } from 'node:stream';
import { loggerOptions } from '../../src/logging.ts';

/**
 * What must never reach a log, whatever the test: API keys and the master key, staff sessions'
 * cookies, refresh tokens and emailed tokens (`rgs_`, `rgr_`, `rgt_`), member session tokens
 * (`rgme_`), access tokens (JWTs), webhook signing secrets, a failed statement's parameters
 * (Drizzle's message says `params:`; its error's field is `params`).
 */
const NEVER_LOGGED = [
  /rg(?:[lmsrt]|me)_/,
  /eyJ[\w-]+\.eyJ/,
  /whsec_/,
  /"params"/,
  /\bparams: /,
  /Failed query:/,
];

/**
 * A message the messaging module wrote to the log instead of sending it (its development
 * fallback, with the sign-in code or reset link in it): only a capture that expects it may see one.
 */
const DEVELOPMENT_MESSAGE = /"developmentMessage"/;

/** The app's real logger options, writing to memory: what a test reads instead of stdout. */
export interface LogCapture {
  /** Fastify's `logger` option. */
  options: ReturnType<typeof loggerOptions> & { stream: Writable };
  /** Every line written, parsed. */
  lines: Record<string, unknown>[];
  /** The raw text of every line. */
  text(): string;
  /** Throws, quoting them, when lines carry something NEVER_LOGGED. */
  assertNothingSecret(): void;
}

export function captureLogs(
  level = 'info',
  { keep = true, allowDevelopmentMessages = false } = {},
): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const offending: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        const secret = NEVER_LOGGED.some((pattern) => pattern.test(line));
        if (secret || (!allowDevelopmentMessages && DEVELOPMENT_MESSAGE.test(line))) offending.push(line);
        if (keep) {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
      }
      done();
    },
  });
  return {
    options: { ...loggerOptions(level), stream },
    lines,
    text: () => raw.join('\n'),
    assertNothingSecret() {
      if (offending.length > 0) {
        throw new Error(
          `${offending.length} log lines carry a secret or parameters:\n${offending.join('\n')}`,
        );
      }
    },
  };
}
