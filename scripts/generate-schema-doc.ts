// Writes docs/schema.md from the schema table (npm run docs:schema).
import { writeFileSync } from 'node:fs';
import { renderSchemaDoc } from '../schema/index.js';

writeFileSync(new URL('../docs/schema.md', import.meta.url), renderSchemaDoc());
