#!/usr/bin/env node
/**
 * The `dfs-node` entry point. It pins V8's young generation before loading anything else — even
 * parsing the node's modules grows it — and then runs the start command (start-command.ts).
 */
import { pinYoungGeneration } from './young-generation.js';

pinYoungGeneration();
await import('./start-command.js');
