/**
 * Open Loyalty's clients send Symfony form fields, `application/x-www-form-urlencoded` with
 * bracket names (`transaction[items][0][sku][code]=SKU1`). This reads them into the nested object
 * a JSON client would send, so one schema validates both. Pure.
 *
 * `a[]=x` appends (PHP's rule); an object whose keys are all indexes becomes an array, in index
 * order. Names that would reach an object's prototype are dropped.
 */

const MAX_DEPTH = 8;
const MAX_INDEX = 999;
const UNSAFE = new Set(['__proto__', 'prototype', 'constructor']);

type Node = { [key: string]: Node | string };

function segmentsOf(name: string): string[] | undefined {
  const open = name.indexOf('[');
  if (open === -1) return [name];
  const segments = [name.slice(0, open)];
  const rest = name.slice(open);
  const pattern = /\[([^\]]*)\]/gy;
  let match: RegExpExecArray | null;
  let read = 0;
  // biome-ignore lint/suspicious/noAssignInExpressions: the usual sticky-regex loop
  while ((match = pattern.exec(rest)) !== null) {
    segments.push(match[1]!);
    read = pattern.lastIndex;
  }
  // Anything after the last bracket (`a[b]c`) is not a Symfony name: kept whole, as PHP does.
  if (read !== rest.length) return [name];
  return segments.length > MAX_DEPTH ? undefined : segments;
}

function put(root: Node, segments: string[], value: string): void {
  let node = root;
  for (let index = 0; index < segments.length; index++) {
    let key = segments[index]!;
    if (key === '') key = String(Object.keys(node).length);
    if (index === segments.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next === 'object') node = next;
    else {
      const child: Node = Object.create(null) as Node;
      node[key] = child;
      node = child;
    }
  }
}

function settle(node: Node | string): unknown {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const indexed = keys.length > 0 && keys.every((key) => /^\d{1,3}$/.test(key) && Number(key) <= MAX_INDEX);
  if (indexed) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((key) => settle(node[String(key)]!));
  }
  const object: Record<string, unknown> = {};
  for (const key of keys) object[key] = settle(node[key]!);
  return object;
}

export function parseForm(body: string): Record<string, unknown> {
  const root: Node = Object.create(null) as Node;
  for (const [name, value] of new URLSearchParams(body)) {
    const segments = segmentsOf(name.trim());
    if (segments && segments[0] !== '' && !segments.some((segment) => UNSAFE.has(segment))) {
      put(root, segments, value);
    }
  }
  const settled = settle(root);
  return Array.isArray(settled) ? { ...settled } : (settled as Record<string, unknown>);
}
