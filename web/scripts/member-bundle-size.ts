import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * What a phone downloads to open the member pages: the entry chunk and every chunk it imports
 * statically (the pages loaded later, with `import()`, are left out), gzip-compressed. Read from
 * the build's manifest: `npm run build` first, then `npx tsx web/scripts/member-bundle-size.ts`.
 */
export const MEMBER_FIRST_LOAD_BUDGET = 150 * 1024;
const MEMBER_BUILD = join(import.meta.dirname, '..', '..', 'dist', 'member');

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}

export function memberFirstLoad(dir: string = MEMBER_BUILD): { files: string[]; gzipBytes: number } {
  const manifest = JSON.parse(readFileSync(join(dir, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const entries = Object.keys(manifest).filter((key) => manifest[key]?.isEntry);
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key]?.imports ?? []) visit(imported);
  };
  entries.forEach(visit);
  const files = [...seen].map((key) => manifest[key]!.file).filter((file) => file.endsWith('.js'));
  const gzipBytes = files.reduce(
    (sum, file) => sum + gzipSync(readFileSync(join(dir, file)), { level: 9 }).length,
    0,
  );
  return { files, gzipBytes };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { files, gzipBytes } = memberFirstLoad();
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  process.stdout.write(
    `member pages' first load: ${kb(gzipBytes)} of JavaScript gzipped (budget ${kb(MEMBER_FIRST_LOAD_BUDGET)}): ${files.join(', ')}\n`,
  );
}
