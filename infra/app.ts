/**
 * Entry point of `cdk synth` / `cdk deploy` (see `cdk.json`): builds the app from
 * `loglake.config.json`; the CLI synthesizes it when this module finishes.
 */
import { createApp } from './stack.js';

createApp();
