// Runs in a temp project where @dfs/transport was installed from its packed tarball.
import assert from 'node:assert/strict';
import { VirtualClock, delay } from '@dfs/transport';

const clock = new VirtualClock(0);
let fired = false;
const waiting = delay(clock, 10).then(() => (fired = true));
await clock.advance(10);
await waiting;
assert.equal(fired, true);
