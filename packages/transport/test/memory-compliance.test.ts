import { memoryHarness } from './compliance/memory-harness.js';
import { transportCompliance } from './compliance/suite.js';

transportCompliance('MemoryTransport', async () => memoryHarness());
