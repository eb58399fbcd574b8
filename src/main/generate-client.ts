import { writeFile } from 'node:fs/promises';
import { clientTypesPath, generateClientTypes } from './client-types.ts';

// `npm run generate:client`: writes client/openapi.d.ts from the route table (no server, no database).
await writeFile(new URL(`../../${clientTypesPath}`, import.meta.url), await generateClientTypes());
process.stdout.write(`wrote ${clientTypesPath}\n`);
