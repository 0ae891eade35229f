import { v7 } from 'uuid';

/** Time-ordered UUIDv7: ids sort by creation, which is what cursor pagination relies on. */
export function newId(): string {
  return v7();
}
