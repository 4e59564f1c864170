import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameType, encodeFrame, type TransportError } from '../src/index.js';

type Decoded = { type: number; payload: Buffer };

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): Decoded[] {
  const out: Decoded[] = [];
  for (const chunk of chunks) {
    decoder.push(
      chunk,
      (frame) => void out.push({ type: frame.type, payload: Buffer.from(frame.payload) }),
    );
  }
  return out;
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    parts.push(bytes.subarray(last, p));
    last = p;
  }
  parts.push(bytes.subarray(last));
  return parts;
}

const frameArb = fc.record({
  type: fc.constantFrom(FrameType.Control, FrameType.Data),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

describe('frame codec', () => {
  it('round-trips any sequence of frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload)));
          const decoder = new FrameDecoder(1024);
          const decoded = decodeAll(decoder, split(wire, cuts));
          expect(decoded).toEqual(frames.map((f) => ({ type: f.type, payload: f.payload })));
          expect(() => decoder.end()).not.toThrow();
        },
      ),
    );
  });

  it('streams data frames piece by piece: pieces join to each payload, control frames stay whole', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 0xffffffff }), { minLength: 20, maxLength: 20 }),
        (frames, cuts, ids) => {
          const wire = Buffer.concat(
            frames.map((f, i) => {
              if (f.type === FrameType.Control) return encodeFrame(f.type, f.payload);
              const withId = Buffer.alloc(4 + f.payload.length);
              withId.writeUInt32BE(ids[i] as number, 0);
              withId.set(f.payload, 4);
              return encodeFrame(FrameType.Data, withId);
            }),
          );
          const got: { type: number; id?: number; payload: Buffer }[] = [];
          const decoder = new FrameDecoder(1024, (id, piece, start) => {
            if (start) got.push({ type: FrameType.Data, id, payload: Buffer.alloc(0) });
            const last = got[got.length - 1] as { payload: Buffer };
            last.payload = Buffer.concat([last.payload, piece]);
          });
          for (const part of split(wire, cuts)) {
            decoder.push(
              part,
              (frame) => void got.push({ type: frame.type, payload: Buffer.from(frame.payload) }),
            );
          }
          expect(got).toEqual(
            frames.map((f, i) =>
              f.type === FrameType.Control
                ? { type: f.type, payload: f.payload }
                : { type: f.type, id: ids[i], payload: f.payload },
            ),
          );
          expect(() => decoder.end()).not.toThrow();
        },
      ),
    );
  });

  it('reports truncated input: nothing is emitted for a partial frame and end() throws', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(), (frame, cut) => {
        const wire = encodeFrame(frame.type, frame.payload);
        const keep = 1 + (cut % (wire.length - 1)); // 1 .. length-1 bytes
        const decoder = new FrameDecoder(1024);
        expect(decodeAll(decoder, [wire.subarray(0, keep)])).toEqual([]);
        expect(() => decoder.end()).toThrow(
          expect.objectContaining({ code: 'ERR_MALFORMED_FRAME' }),
        );
      }),
    );
  });

  it('rejects a frame over the limit as soon as its length header arrives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 512 }),
        fc.integer({ min: 1, max: 4096 }),
        (limit, excess) => {
          const header = Buffer.alloc(4);
          header.writeUInt32BE(limit + 1 + excess, 0); // payload = limit + excess
          const decoder = new FrameDecoder(limit);
          let error: unknown;
          try {
            decoder.push(header, () => undefined);
          } catch (e) {
            error = e;
          }
          expect((error as TransportError).code).toBe('ERR_FRAME_TOO_LARGE');
        },
      ),
    );
  });

  it('rejects a 4 GiB length header without buffering anything', () => {
    const decoder = new FrameDecoder(4 * 1024 * 1024);
    expect(() => decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1]), () => undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    );
  });

  it('rejects zero-length frames and unknown frame types', () => {
    expect(() => new FrameDecoder(10).push(Buffer.from([0, 0, 0, 0]), () => undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_MALFORMED_FRAME' }),
    );
    expect(() => new FrameDecoder(10).push(Buffer.from([0, 0, 0, 1, 9]), () => undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_MALFORMED_FRAME' }),
    );
  });

  it('accepts a frame exactly at the limit', () => {
    const decoder = new FrameDecoder(100);
    const out = decodeAll(decoder, [encodeFrame(FrameType.Data, Buffer.alloc(100, 7))]);
    expect(out).toHaveLength(1);
    expect(out[0]?.payload.length).toBe(100);
  });
});
