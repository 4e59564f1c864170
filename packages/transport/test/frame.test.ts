import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameType, encodeFrame, type TransportError } from '../src/index.js';
import { FRAME_TAG_BYTES, FrameSealer, FrameVerifier } from '../src/tcp/frame-auth.js';
import { dataFrameHeader } from '../src/tcp/frame.js';

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

describe('FrameDecoder with frame authentication', () => {
  const key = Buffer.alloc(32, 9);
  /** A control frame and a data frame for stream 7, each sealed as the next frame, then joined. */
  function sealedWire(control: Buffer, data: Buffer): Buffer {
    const sealer = new FrameSealer(key);
    const frame = encodeFrame(FrameType.Control, control);
    const controlTag = sealer.sealEncoded(frame);
    const header = dataFrameHeader(7, data.length, FRAME_TAG_BYTES);
    return Buffer.concat([frame, controlTag, header, data, sealer.sealData(header, data)]);
  }

  function decodeSealed(chunks: Buffer[]): { control: Buffer[]; data: Map<number, Buffer[]> } {
    const control: Buffer[] = [];
    const data = new Map<number, Buffer[]>();
    const decoder = new FrameDecoder(1024 * 1024, (streamId, piece) => {
      data.set(streamId, [...(data.get(streamId) ?? []), Buffer.from(piece)]);
    });
    decoder.setFrameVerifier(new FrameVerifier(key));
    for (const chunk of chunks) {
      decoder.push(chunk, (frame) => void control.push(Buffer.from(frame.payload)));
    }
    return { control, data };
  }

  it('delivers sealed control and data frames intact however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (control, data, cuts) => {
          const wire = sealedWire(Buffer.from(control), Buffer.from(data));
          const out = decodeSealed(split(wire, cuts));
          expect(out.control).toEqual([Buffer.from(control)]);
          expect(Buffer.concat(out.data.get(7) ?? [])).toEqual(Buffer.from(data));
          expect([...out.data.keys()].every((id) => id === 7)).toBe(true);
        },
      ),
    );
  });

  it('throws ERR_FRAME_AUTH for an altered data byte, split anywhere, before delivering any of it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (data, at, cuts) => {
          const wire = sealedWire(Buffer.from('ok'), Buffer.from(data));
          const dataStart = wire.length - FRAME_TAG_BYTES - data.length;
          const altered = dataStart + (at % data.length);
          wire[altered] = (wire[altered] as number) ^ 0x80;
          const delivered: Buffer[] = [];
          const decoder = new FrameDecoder(1024 * 1024, (_id, piece) => void delivered.push(piece));
          decoder.setFrameVerifier(new FrameVerifier(key));
          let error: unknown;
          try {
            for (const chunk of split(wire, cuts)) decoder.push(chunk, () => undefined);
          } catch (e) {
            error = e;
          }
          expect((error as TransportError).code).toBe('ERR_FRAME_AUTH');
          expect(Buffer.concat(delivered).length).toBe(0);
        },
      ),
    );
  });
});
