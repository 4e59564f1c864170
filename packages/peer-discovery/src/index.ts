/**
 * @dfs/peer-discovery — SWIM cluster membership over any `@dfs/transport` Transport: join through
 * seeds, failure detection with Lifeguard suspicion, refutation by incarnation, graceful leave.
 */
export const PACKAGE_NAME = '@dfs/peer-discovery';

export { createMembership, Membership } from './swim.js';
export type { MembershipOptions } from './swim.js';
export type { MembershipEvents, MembershipLogger } from './events.js';
export { DEFAULT_CONFIG } from './defaults.js';
export type { MembershipConfig } from './defaults.js';
export { DiscoveryError, isDiscoveryError } from './errors.js';
export type { DiscoveryErrorCode } from './errors.js';
export { MemberTable, compareUpdates, supersedes, isLive, MEMBER_STATES } from './members.js';
export type { Member, MemberState, MemberUpdate, MergeResult } from './members.js';
export { remainingSuspicionMs, suspicionBounds } from './suspicion.js';
export type { SuspicionBounds } from './suspicion.js';
export { PROTOCOL } from './messages.js';
