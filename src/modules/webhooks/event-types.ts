/**
 * Which events an endpoint wants: exact names (`location.created`), a family
 * (`points.*` = every `points.…` event) or everything (`*`).
 */

/** What a subscription pattern may look like; event names are dotted lowercase words. */
export const EVENT_TYPE_PATTERN = '^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*(\\.\\*)?)$';

export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (pattern) =>
      pattern === '*' ||
      pattern === type ||
      (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))),
  );
}
