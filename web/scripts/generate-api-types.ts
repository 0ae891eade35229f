import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateApiTypes } from './api-types.ts';

const target = join(import.meta.dirname, '..', 'shared', 'api', 'schema.ts');
writeFileSync(target, await generateApiTypes());
process.stdout.write(`wrote ${target}\n`);
