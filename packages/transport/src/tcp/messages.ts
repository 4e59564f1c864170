import { z } from 'zod';
import { decodeValue, encodeValue } from '../codec.js';
import { TransportError } from '../errors.js';
import { FrameType, encodeFrame } from './frame.js';

/**
 * Control messages, one msgpack map per Control frame. Every decoded map is checked against these
 * schemas before anything acts on it; a map that fails closes the connection (ERR_MALFORMED_FRAME).
 * Keys are short because they travel with every call. docs/protocol.md is the reference.
 */
const protocolName = z.string().min(1).max(256);
const callId = z.number().int().min(1).max(0xffffffff);
const streamId = z.number().int().min(1).max(0xffffffff);
const errorCode = z.string().min(1).max(128);
const errorMessage = z.string().max(4096);
const bytes32 = (what: string) =>
  z.custom<Uint8Array>(
    (v) => v instanceof Uint8Array && v.length === 32,
    `${what} must be 32 bytes`,
  );

export const helloSchema = z.object({
  t: z.literal('hello'),
  /** Protocol version (2). */
  v: z.number().int().min(0),
  /** Cluster id: peers of different clusters never talk. */
  c: z.string().max(256),
  /** Node id and the address it asks to be dialled on. */
  id: z.string().min(1).max(256),
  a: z.string().min(1).max(512),
  /** 32 random bytes from node:crypto. */
  n: bytes32('nonce'),
});

export const authSchema = z.object({
  t: z.literal('auth'),
  /** HMAC-SHA256 proof of the cluster secret over both nonces (see handshake.ts). */
  p: bytes32('proof'),
});

export const rejectSchema = z.object({ t: z.literal('reject'), code: errorCode, m: errorMessage });

export const handshakeMessageSchema = z.discriminatedUnion('t', [
  helloSchema,
  authSchema,
  rejectSchema,
]);

export const sessionMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('msg'), p: protocolName, b: z.unknown() }),
  z.object({ t: z.literal('req'), id: callId, p: protocolName, b: z.unknown() }),
  z.object({ t: z.literal('res'), id: callId, b: z.unknown() }),
  z.object({ t: z.literal('err'), id: callId, code: errorCode, m: errorMessage }),
  z.object({ t: z.literal('cancel'), id: callId }),
  z.object({ t: z.literal('open'), s: streamId, p: protocolName, h: z.unknown() }),
  z.object({ t: z.literal('accept'), s: streamId }),
  z.object({ t: z.literal('refuse'), s: streamId, code: errorCode, m: errorMessage }),
  z.object({ t: z.literal('credit'), s: streamId, n: z.number().int().min(1).max(0x7fffffff) }),
  z.object({ t: z.literal('end'), s: streamId }),
  z.object({ t: z.literal('reset'), s: streamId, code: errorCode }),
  /** The sender starts no new calls or streams on this connection and closes it once drained. */
  z.object({ t: z.literal('goaway') }),
]);

export type HelloMessage = z.infer<typeof helloSchema>;
export type HandshakeMessage = z.infer<typeof handshakeMessageSchema>;
export type SessionMessage = z.infer<typeof sessionMessageSchema>;

/** Decodes and validates one Control payload; throws ERR_MALFORMED_FRAME on anything unexpected. */
export function parseControl<T>(schema: z.ZodType<T>, payload: Buffer): T {
  const decoded = decodeValue(payload);
  const result = schema.safeParse(decoded);
  if (!result.success) {
    throw new TransportError(
      'ERR_MALFORMED_FRAME',
      `invalid control message: ${result.error.issues[0]?.message ?? 'schema mismatch'}`,
    );
  }
  return result.data;
}

export function controlFrame(message: HandshakeMessage | SessionMessage): Buffer {
  return encodeFrame(FrameType.Control, encodeValue(message));
}
