/**
 * The SWIM exchanges over the transport, both sides of each: ping, ping-req (an indirect probe
 * through a helper), sync (the full-state exchange of join and push-pull) and gossip. Every message
 * in is checked against its schema (messages.ts) before it touches the view; what it says is merged
 * by the view (view.ts). The probe loop, the timers and the phases stay in swim.ts.
 */
import type { Clock, Transport } from '@dfs/transport';
import type { z } from 'zod';
import type { MembershipConfig } from './defaults.js';
import { DiscoveryError } from './errors.js';
import type { MembershipLogger } from './events.js';
import type { Member, MemberTable } from './members.js';
import {
  ackSchema,
  gossipSchema,
  manyFromWire,
  manyToWire,
  pingReqResponseSchema,
  pingReqSchema,
  pingSchema,
  PROTOCOL,
  syncResponseSchema,
  syncSchema,
} from './messages.js';
import type { MembershipView } from './view.js';

export class SwimExchanges {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #config: MembershipConfig;
  readonly #log: MembershipLogger;
  readonly #view: MembershipView;
  readonly #table: MemberTable;
  /** Aborted when the membership stops: every request in flight ends at once. */
  readonly #signal: AbortSignal;

  constructor(options: {
    transport: Transport;
    clock: Clock;
    config: MembershipConfig;
    log: MembershipLogger;
    view: MembershipView;
    signal: AbortSignal;
  }) {
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#config = options.config;
    this.#log = options.log;
    this.#view = options.view;
    this.#table = options.view.table;
    this.#signal = options.signal;
  }

  /** Pings `target` directly; true when it acknowledged within `timeoutMs`. */
  async ping(target: { id: string; address: string }, timeoutMs: number): Promise<boolean> {
    try {
      const reply = await this.#transport.request(
        target.address,
        PROTOCOL.ping,
        { target: target.id, updates: this.#view.piggyback() },
        { timeoutMs, signal: this.#signal },
      );
      const ack = this.#parse(ackSchema, reply);
      this.#table.touch(target.id, this.#clock.now());
      this.#view.mergeAll(ack.updates, target.id);
      return true;
    } catch {
      return false;
    }
  }

  /** Asks `helper` to ping `target` for us (ping-req); true when the target answered it. */
  async pingVia(helper: Member, target: Member): Promise<boolean> {
    try {
      const reply = await this.#transport.request(
        helper.address,
        PROTOCOL.pingReq,
        { target: { id: target.id, address: target.address }, updates: this.#view.piggyback() },
        {
          timeoutMs: this.#config.probeIntervalMs - this.#config.probeTimeoutMs,
          signal: this.#signal,
        },
      );
      const response = this.#parse(pingReqResponseSchema, reply);
      this.#view.mergeAll(response.updates, helper.id);
      if (response.ok) this.#table.touch(target.id, this.#clock.now());
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Registers the handlers that answer each exchange. */
  registerHandlers(): void {
    this.#transport.handle(PROTOCOL.ping, (message, context) => {
      const ping = this.#parse(pingSchema, message);
      if (ping.target !== this.#table.selfId) {
        throw new DiscoveryError(
          'ERR_WRONG_NODE',
          `this is ${this.#table.selfId}, not ${ping.target}`,
        );
      }
      this.#table.touch(context.peer.id, this.#clock.now());
      this.#view.mergeAll(ping.updates, context.peer.id);
      return { updates: this.#view.piggyback() };
    });
    this.#transport.handle(PROTOCOL.pingReq, async (message, context) => {
      const request = this.#parse(pingReqSchema, message);
      this.#view.mergeAll(request.updates, context.peer.id);
      const ok = await this.ping(request.target, this.#config.probeTimeoutMs);
      return { ok, updates: this.#view.piggyback() };
    });
    this.#transport.handle(PROTOCOL.sync, (message, context) => {
      const sync = this.#parse(syncSchema, message);
      this.#table.touch(context.peer.id, this.#clock.now());
      this.#view.mergeState(manyFromWire(sync.members), context.peer.id);
      if (sync.join) this.#log.debug({ peer: context.peer.id }, 'join request');
      return { members: manyToWire(this.#table.updates()) };
    });
    this.#transport.handle(PROTOCOL.gossip, (message, context) => {
      const gossip = this.#parse(gossipSchema, message);
      this.#table.touch(context.peer.id, this.#clock.now());
      this.#view.mergeAll(gossip.updates, context.peer.id);
      return null;
    });
  }

  /** Full-state exchange with `address`; true when it answered. */
  async syncWith(address: string, join: boolean, peerId?: string): Promise<boolean> {
    try {
      const reply = await this.#transport.request(
        address,
        PROTOCOL.sync,
        { join, members: manyToWire(this.#table.updates()) },
        { timeoutMs: this.#config.joinRequestTimeoutMs, signal: this.#signal },
      );
      const response = this.#parse(syncResponseSchema, reply);
      this.#view.mergeState(manyFromWire(response.members), peerId);
      return true;
    } catch (error) {
      this.#log.debug({ address, err: error }, 'sync failed');
      return false;
    }
  }

  #parse<S extends z.ZodType>(schema: S, message: unknown): z.infer<S> {
    const parsed = schema.safeParse(message);
    if (!parsed.success) {
      this.#log.warn({ issues: parsed.error.issues.length }, 'malformed membership message');
      throw new DiscoveryError('ERR_INVALID_MESSAGE', 'malformed membership message', {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }
}
