import { createHash, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';

/**
 * A request body the handler streams (a CSV upload), hashed as it passes through, so that an
 * `Idempotency-Key` covers the bytes that were actually sent (src/http/idempotency.ts).
 */
export class StreamedBody extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #digest: Promise<string>;

  constructor(source: Readable) {
    super();
    this.#digest = new Promise((resolve) => {
      this.once('end', () => resolve(this.#hash.digest('hex')));
      // A body cut short (the client went away, the reader gave up) is marked as such.
      this.once('close', () => {
        if (!this.readableEnded) resolve(`incomplete:${this.#hash.copy().digest('hex')}`);
      });
    });
    source.once('error', (error) => this.destroy(error));
    source.pipe(this);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.#hash.update(chunk);
    done(null, chunk);
  }

  /** SHA-256 of the whole body; reads (and drops) whatever the handler left unread. */
  digest(): Promise<string> {
    if (this.readableFlowing !== true) this.resume();
    return this.#digest;
  }
}
