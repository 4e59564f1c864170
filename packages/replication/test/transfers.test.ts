import { describe, expect, it } from 'vitest';
import { TransferQueue } from '../src/transfers.js';

function deferred(): { promise: Promise<boolean>; resolve: (ok: boolean) => void } {
  let resolve!: (ok: boolean) => void;
  const promise = new Promise<boolean>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('TransferQueue', () => {
  it('runs at most `concurrency` transfers and queues the rest in order', async () => {
    const queue = new TransferQueue({ concurrency: 2 });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const results = gates.map((gate, i) =>
      queue.run(`k${i}`, () => {
        started.push(i);
        return gate.promise;
      }),
    );
    expect(started).toEqual([0, 1]);
    expect([queue.active, queue.queued]).toEqual([2, 1]);
    gates[0]!.resolve(true);
    await results[0];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.resolve(false);
    gates[2]!.resolve(true);
    expect(await Promise.all(results)).toEqual([true, false, true]);
  });

  it('joins a transfer already queued or running for the same key', async () => {
    const queue = new TransferQueue({ concurrency: 1 });
    const gate = deferred();
    let runs = 0;
    const task = (): Promise<boolean> => {
      runs++;
      return gate.promise;
    };
    const first = queue.run('same', task);
    const second = queue.run('same', task);
    expect(second).toBe(first);
    gate.resolve(true);
    await first;
    expect(runs).toBe(1);
  });

  it('cancel() aborts a running transfer and drops a queued one', async () => {
    const queue = new TransferQueue({ concurrency: 1 });
    const running = queue.run(
      'a',
      (signal) =>
        new Promise<boolean>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    );
    const waiting = queue.run('b', () => Promise.resolve(true));
    queue.cancel('b');
    expect(await waiting).toBe(false);
    queue.cancel('a');
    await expect(running).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('stop() aborts running transfers, rejects queued ones and refuses new ones', async () => {
    const queue = new TransferQueue({ concurrency: 1 });
    let aborted = false;
    const running = queue.run(
      'a',
      (signal) =>
        new Promise<boolean>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(false);
          });
        }),
    );
    const queued = queue.run('b', () => Promise.resolve(true));
    queued.catch(() => undefined);
    await queue.stop();
    expect(aborted).toBe(true);
    expect(await running).toBe(false);
    await expect(queued).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(queue.run('c', () => Promise.resolve(true))).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    expect(queue.active).toBe(0);
  });
});

describe('TransferQueue priority', () => {
  it('a priority request moves a queued transfer for the same key to the front', async () => {
    const queue = new TransferQueue({ concurrency: 1 });
    const gate = deferred();
    const order: string[] = [];
    const task = (key: string) => (): Promise<boolean> => {
      order.push(key);
      return key === 'busy' ? gate.promise : Promise.resolve(true);
    };
    const all = [
      queue.run('busy', task('busy')),
      queue.run('bg1', task('bg1')),
      queue.run('bg2', task('bg2')),
    ];
    const joined = queue.run('bg2', task('bg2'), { priority: true });
    expect(joined).toBe(all[2]);
    gate.resolve(true);
    await Promise.all(all);
    expect(order).toEqual(['busy', 'bg2', 'bg1']);
  });

  it('promote() starts a queued transfer at once, over the limit, for a waiting reader', async () => {
    const queue = new TransferQueue({ concurrency: 1 });
    const gate = deferred();
    const started: string[] = [];
    const task = (key: string) => (): Promise<boolean> => {
      started.push(key);
      return key === 'busy' ? gate.promise : Promise.resolve(true);
    };
    const busy = queue.run('busy', task('busy'));
    const queued = queue.run('wanted', task('wanted'));
    expect(started).toEqual(['busy']);
    queue.promote('wanted');
    queue.promote('busy'); // running already: nothing happens
    queue.promote('unknown');
    expect(started).toEqual(['busy', 'wanted']);
    expect(await queued).toBe(true);
    gate.resolve(true);
    expect(await busy).toBe(true);
    expect(started).toEqual(['busy', 'wanted']);
    await new Promise((resolve) => setImmediate(resolve));
    expect([queue.active, queue.queued]).toEqual([0, 0]);
  });
});
