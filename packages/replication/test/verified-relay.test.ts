import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errorCode } from '../src/errors.js';
import { VerifiedRelay } from '../src/verified-relay.js';
import type { RelayExpectation } from '../src/verified-relay.js';

const BODY = Buffer.from('0123456789abcdefghij');
const SHA = createHash('sha256').update(BODY).digest('hex');

/** Feeds `chunks` through a relay; returns what came out and how it ended. */
async function relay(
  chunks: Buffer[],
  expected: RelayExpectation,
): Promise<{ out: string; code: string | undefined }> {
  const stage = new VerifiedRelay(expected);
  Readable.from(chunks).pipe(stage);
  const out: Buffer[] = [];
  try {
    for await (const chunk of stage) out.push(chunk as Buffer);
    return { out: Buffer.concat(out).toString(), code: undefined };
  } catch (error) {
    return { out: Buffer.concat(out).toString(), code: errorCode(error) };
  }
}

const split = (body: Buffer, size: number): Buffer[] =>
  Array.from({ length: Math.ceil(body.length / size) }, (_, i) =>
    body.subarray(i * size, (i + 1) * size),
  );

describe('VerifiedRelay', () => {
  it('passes a matching body through, whole or as a range, whatever the chunking', async () => {
    for (const size of [1, 3, 7, 20]) {
      expect(await relay(split(BODY, size), { size: 20, sha256: SHA })).toEqual({
        out: BODY.toString(),
        code: undefined,
      });
      expect(
        await relay(split(BODY, size), { size: 20, sha256: SHA, range: { start: 5, end: 12 } }),
      ).toEqual({ out: BODY.subarray(5, 13).toString(), code: undefined });
    }
  });

  it('never emits the last byte of a body whose sha256 differs', async () => {
    const wrong = Buffer.from(BODY);
    wrong[3] = 0x21;
    for (const size of [1, 4, 20]) {
      const seen = await relay(split(wrong, size), { size: 20, sha256: SHA });
      expect(seen.code).toBe('ERR_INTEGRITY');
      expect(seen.out.length).toBeLessThan(20);
      const ranged = await relay(split(wrong, size), {
        size: 20,
        sha256: SHA,
        range: { start: 0, end: 9 },
      });
      expect(ranged.code).toBe('ERR_INTEGRITY');
      expect(ranged.out.length).toBeLessThan(10);
    }
  });

  it('fails a short body at its end and a long one as soon as it passes the size', async () => {
    expect((await relay([BODY.subarray(0, 19)], { size: 20, sha256: SHA })).code).toBe(
      'ERR_INTEGRITY',
    );
    const long = await relay([BODY, Buffer.from('more')], { size: 20, sha256: SHA });
    expect(long.code).toBe('ERR_INTEGRITY');
    expect(long.out.length).toBeLessThan(20);
  });

  it('an empty body ends cleanly when it is the one announced', async () => {
    const empty = createHash('sha256').digest('hex');
    expect(await relay([], { size: 0, sha256: empty })).toEqual({ out: '', code: undefined });
  });
});
