/**
 * The wire protocol, one transport protocol name per message kind, and a zod schema for each: every
 * received message is validated before it touches state, and a malformed one is rejected with
 * ERR_INVALID_MESSAGE (the transport carries that code back to a requester).
 */
import { z } from 'zod';
import type { GossipUpdate } from './broadcasts.js';
import { MEMBER_STATES, type MemberState, type MemberUpdate } from './members.js';

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

/**
 * One membership update on the wire: `[id, address, state, incarnation, from]`, with the state as
 * its index in MEMBER_STATES and `from` empty unless it names a suspecter. A tuple rather than an
 * object: updates are the bulk of membership traffic, and a 1,000-node mass failure moves millions
 * of them, so field names on every one would cost bytes and encode/decode time.
 */
export const updateSchema = z.tuple([
  memberId,
  z.string().min(1).max(MAX_ADDRESS),
  z
    .number()
    .int()
    .min(0)
    .max(MEMBER_STATES.length - 1),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.string().max(MAX_ID),
]);

export type WireUpdate = z.infer<typeof updateSchema>;

export function toWire(update: GossipUpdate): WireUpdate {
  return [
    update.id,
    update.address,
    MEMBER_STATES.indexOf(update.state),
    update.incarnation,
    update.from ?? '',
  ];
}

export function fromWire([id, address, state, incarnation, from]: WireUpdate): GossipUpdate {
  const member = { id, address, state: MEMBER_STATES[state] as MemberState, incarnation };
  return from === '' ? member : { ...member, from };
}

const RANK_OF: Readonly<Record<MemberState, number>> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/**
 * `compareUpdates(fromWire(wire), member)` without decoding: the state index is its rank. Lets the
 * receiver drop old news — most of what arrives — without allocating anything.
 */
export function compareWire(wire: WireUpdate, member: MemberUpdate): number {
  if (wire[3] !== member.incarnation) return wire[3] < member.incarnation ? -1 : 1;
  const rank = wire[2] - RANK_OF[member.state];
  if (rank !== 0) return rank;
  return wire[1] < member.address ? -1 : wire[1] > member.address ? 1 : 0;
}

export function manyToWire(updates: readonly GossipUpdate[]): WireUpdate[] {
  return updates.map(toWire);
}

export function manyFromWire(updates: readonly WireUpdate[]): GossipUpdate[] {
  return updates.map(fromWire);
}

/**
 * `updateSchema.safeParse(value).success`, by hand (property-tested to agree). A 1,000-node
 * partition makes every node receive millions of updates; zod's per-element machinery (a result
 * object and a copied tuple per element) was a fifth of the simulator's CPU and much of its garbage.
 * The guard allocates nothing and passes the received tuple through as it is.
 */
export function isWireUpdate(value: unknown): value is WireUpdate {
  if (!Array.isArray(value) || value.length !== 5) return false;
  const [id, address, state, incarnation, from] = value as unknown[];
  return (
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= MAX_ID &&
    typeof address === 'string' &&
    address.length >= 1 &&
    address.length <= MAX_ADDRESS &&
    typeof state === 'number' &&
    Number.isInteger(state) &&
    state >= 0 &&
    state < MEMBER_STATES.length &&
    typeof incarnation === 'number' &&
    Number.isSafeInteger(incarnation) &&
    incarnation >= 0 &&
    typeof from === 'string' &&
    from.length <= MAX_ID
  );
}

/** An array of at most `max` wire updates, checked by `isWireUpdate` (no copies). */
function wireUpdateList(max: number) {
  return z.custom<WireUpdate[]>(
    (value) => {
      if (!Array.isArray(value) || value.length > max) return false;
      for (const item of value as unknown[]) if (!isWireUpdate(item)) return false;
      return true;
    },
    {
      message: `expected at most ${max} membership updates [id, address, state, incarnation, from]`,
    },
  );
}

const updates = wireUpdateList(MAX_UPDATES_PER_MESSAGE);

export const pingSchema = z.object({ target: memberId, updates });
export const ackSchema = z.object({ updates });
export const pingReqSchema = z.object({
  target: z.object({ id: memberId, address: z.string().min(1).max(MAX_ADDRESS) }),
  updates,
});
export const pingReqResponseSchema = z.object({ ok: z.boolean(), updates });
export const syncSchema = z.object({
  join: z.boolean(),
  members: wireUpdateList(MAX_MEMBERS_PER_SYNC),
});
export const syncResponseSchema = z.object({
  members: wireUpdateList(MAX_MEMBERS_PER_SYNC),
});
export const gossipSchema = z.object({ updates });

export type PingMessage = z.infer<typeof pingSchema>;
export type AckMessage = z.infer<typeof ackSchema>;
export type PingReqMessage = z.infer<typeof pingReqSchema>;
export type PingReqResponse = z.infer<typeof pingReqResponseSchema>;
export type SyncMessage = z.infer<typeof syncSchema>;
export type SyncResponse = z.infer<typeof syncResponseSchema>;
export type GossipMessage = z.infer<typeof gossipSchema>;
