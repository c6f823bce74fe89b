#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx loglake` works straight after `npm ci`, no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
