/**
 * Everything multiplexed on one authenticated connection: the calls the peer makes to us, the calls
 * we make to it and the bulk streams both open, and which table each session message belongs to.
 * The connection (connection.ts) owns the socket, the handshake and the graceful close around it.
 */
import type { Clock } from '../clock.js';
import type { TransportError } from '../errors.js';
import type { HandlerRegistry } from '../handlers.js';
import type { PeerInfo } from '../types.js';
import type { ConnectionLimits } from './connection-host.js';
import type { HandshakeRole } from './handshake.js';
import { IncomingCalls } from './incoming-calls.js';
import type { SessionMessage } from './messages.js';
import { OutgoingCalls } from './outgoing-calls.js';
import type { StreamLink } from './stream.js';
import { StreamTable } from './stream-table.js';

/** What the tables need from their connection. */
export interface MultiplexerLink {
  readonly role: HandshakeRole;
  readonly clock: Clock;
  readonly handlers: HandlerRegistry;
  readonly limits: ConnectionLimits;
  /** What every stream writes through (the connection itself). */
  readonly streamLink: StreamLink;
  /** The authenticated peer: nothing is multiplexed before the handshake is done. */
  peer(): PeerInfo;
  /** Whether the connection can still carry an answer. */
  isReady(): boolean;
  /** We announced a graceful close: the peer may open nothing new here. */
  sentGoaway(): boolean;
  /** Encodes a message; throws when it cannot travel (too large, not encodable). */
  encodeControl(message: SessionMessage): Buffer;
  writeFrame(frame: Buffer): void;
  sendControl(message: SessionMessage): void;
  /** A call left its table (the connection may be waiting to drain). */
  callSettled(): void;
}

/** Session messages that belong to a call or a stream (goaway is about the whole connection). */
export type MultiplexedMessage = Exclude<SessionMessage, { t: 'goaway' }>;

export class Multiplexer {
  readonly incoming: IncomingCalls;
  readonly outgoing: OutgoingCalls;
  readonly streams: StreamTable;

  constructor(link: MultiplexerLink) {
    this.incoming = new IncomingCalls(link);
    this.streams = new StreamTable(link.streamLink, link);
    this.outgoing = new OutgoingCalls(link, this.streams);
  }

  /** Calls and streams not finished yet: a connection drains to zero before it closes. */
  get inFlight(): number {
    return this.outgoing.size + this.incoming.size + this.streams.size;
  }

  route(message: MultiplexedMessage): void {
    switch (message.t) {
      case 'msg':
        this.incoming.onOneWay(message.p, message.b);
        return;
      case 'req':
        this.incoming.onRequest(message.id, message.p, message.b);
        return;
      case 'res':
        this.outgoing.onResult(message.id, message.b);
        return;
      case 'err':
        this.outgoing.onError(message.id, message.code, message.m);
        return;
      case 'cancel':
        this.incoming.onCancel(message.id);
        return;
      case 'open':
        this.streams.onOpen(message.s, message.p, message.h);
        return;
      case 'accept':
        this.outgoing.onAccept(message.s);
        return;
      case 'refuse':
        this.outgoing.onRefuse(message.s, message.code, message.m);
        return;
      case 'credit':
        this.streams.get(message.s)?.receiveCredit(message.n);
        return;
      case 'end':
        this.streams.get(message.s)?.receiveEnd();
        return;
      case 'reset':
        this.streams.get(message.s)?.receiveReset(message.code);
        return;
    }
  }

  /** The connection is gone: calls fail, handlers see the abort, streams are torn down. */
  abortAll(reason: TransportError): void {
    this.outgoing.failAll(reason);
    this.incoming.abortAll(reason);
    this.streams.abortAll(reason);
  }
}
