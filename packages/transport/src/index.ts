export type { Clock, Timer } from './clock.js';
export { systemClock, VirtualClock, delay, timerDelay, MAX_TIMER_MS } from './clock.js';
export { MinHeap } from './min-heap.js';
export { RateLimitedLog } from './rate-limited-log.js';
export type { RateLimitedLogOptions, WarnSink } from './rate-limited-log.js';
export type { Random } from './random.js';
export { systemRandom, seededRandom, randomInt, sample, shuffle } from './random.js';
export type { TransportErrorCode } from './errors.js';
export { TransportError, isTransportError } from './errors.js';
export type {
  Transport,
  TransportEvents,
  PeerInfo,
  CallOptions,
  HandlerContext,
  MessageHandler,
  StreamHandler,
} from './types.js';
export { MemoryNetwork } from './memory/network.js';
export type { MemoryNetworkOptions, MemoryNetworkStats, LinkConditions } from './memory/network.js';
export { MemoryTransport } from './memory/transport.js';
export type { MemoryTransportOptions } from './memory/transport.js';
export { TcpTransport } from './tcp/transport.js';
export type { TcpTransportOptions, TcpTlsOptions, TransportLogger } from './tcp/options.js';
export type { TransportStats, TransportCounters } from './tcp/counters.js';
export { isPeerProtocol, PEER_PROTOCOL_MAGIC, PROTOCOL_VERSION } from './tcp/handshake.js';
export { FrameDecoder, FrameType, encodeFrame } from './tcp/frame.js';
export type { Frame } from './tcp/frame.js';
