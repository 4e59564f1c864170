/**
 * The wire protocol, one transport protocol name per message kind, and a zod schema for each: every
 * received message is validated before it touches state, and a malformed one is rejected with
 * ERR_INVALID_MESSAGE (the transport carries that code back to a requester).
 */
import { z } from 'zod';

export const PROTOCOL = {
  /** Direct probe; answered with an ack carrying gossip. */
  ping: 'swim/ping',
  /** Asks the receiver to probe `target` on our behalf (the indirect probe). */
  pingReq: 'swim/ping-req',
  /** Full member-list exchange: joins, periodic anti-entropy, and partition healing. */
  sync: 'swim/sync',
  /** Pushed gossip; also the graceful-leave notice, sent as a request so it can be acknowledged. */
  gossip: 'swim/gossip',
} as const;

/** Bounds keep a hostile or buggy peer from making us allocate without limit. */
const MAX_ID = 256;
const MAX_ADDRESS = 512;
const MAX_UPDATES_PER_MESSAGE = 512;
const MAX_MEMBERS_PER_SYNC = 100_000;

const memberId = z.string().min(1).max(MAX_ID);

export const updateSchema = z.object({
  id: memberId,
  address: z.string().min(1).max(MAX_ADDRESS),
  state: z.enum(['alive', 'suspect', 'dead', 'left']),
  incarnation: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  from: memberId.optional(),
});

const updates = z.array(updateSchema).max(MAX_UPDATES_PER_MESSAGE);

export const pingSchema = z.object({ target: memberId, updates });
export const ackSchema = z.object({ updates });
export const pingReqSchema = z.object({
  target: z.object({ id: memberId, address: z.string().min(1).max(MAX_ADDRESS) }),
  updates,
});
export const pingReqResponseSchema = z.object({ ok: z.boolean(), updates });
export const syncSchema = z.object({
  join: z.boolean(),
  members: z.array(updateSchema).max(MAX_MEMBERS_PER_SYNC),
});
export const syncResponseSchema = z.object({
  members: z.array(updateSchema).max(MAX_MEMBERS_PER_SYNC),
});
export const gossipSchema = z.object({ updates });

export type PingMessage = z.infer<typeof pingSchema>;
export type AckMessage = z.infer<typeof ackSchema>;
export type PingReqMessage = z.infer<typeof pingReqSchema>;
export type PingReqResponse = z.infer<typeof pingReqResponseSchema>;
export type SyncMessage = z.infer<typeof syncSchema>;
export type SyncResponse = z.infer<typeof syncResponseSchema>;
export type GossipMessage = z.infer<typeof gossipSchema>;
