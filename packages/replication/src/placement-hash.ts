/**
 * The arithmetic of `placement/1` (docs/protocol.md §7), bit-exact: 64-bit hashes of a name and of a
 * node id, a 64-bit mixer of the pair, and the ranking key `weight / −ln(u)`.
 *
 * Everything here is pure. The mixer works on 32-bit halves with `Math.imul` instead of BigInt: one
 * key costs a few tens of nanoseconds, which is what makes ranking 1,000 members per name cheap.
 * Changing any constant, byte or rounding step below reshuffles every file in a cluster: that is a
 * new placement version, not a patch.
 */
import { hash } from 'node:crypto';

/** A 64-bit value as two unsigned 32-bit halves (`hi` holds the most significant bits). */
export interface Hash64 {
  readonly hi: number;
  readonly lo: number;
}

/** Domain-separation prefix of a file name's hash, so a name equal to a node id hashes apart. */
const NAME_PREFIX = '\u0001';
/** Domain-separation prefix of a node id's hash. */
const NODE_PREFIX = '\u0002';

function sha256Prefix64(prefix: string, value: string): Hash64 {
  // Strings are hashed as UTF-8 (Node's default for string input to hash()).
  const digest = hash('sha256', prefix + value, 'buffer');
  return { hi: digest.readUInt32BE(0), lo: digest.readUInt32BE(4) };
}

/** The name's 64-bit hash: the first 8 bytes, big-endian, of SHA-256(0x01 ‖ UTF-8(name)). */
export function placementNameHash(name: string): Hash64 {
  return sha256Prefix64(NAME_PREFIX, name);
}

/** The node's 64-bit hash: the first 8 bytes, big-endian, of SHA-256(0x02 ‖ UTF-8(id)). */
export function placementNodeHash(id: string): Hash64 {
  return sha256Prefix64(NODE_PREFIX, id);
}

/** The high 32 bits of the 64-bit product of two unsigned 32-bit integers (16-bit limbs, exact). */
function mulHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16)) >>> 0;
}

// splitmix64's finalizer (Stafford's "Mix13"):
// z ^= z >> 30; z *= M1; z ^= z >> 27; z *= M2; z ^= z >> 31.
const M1_HI = 0xbf58476d;
const M1_LO = 0x1ce4e5b9;
const M2_HI = 0x94d049bb;
const M2_LO = 0x133111eb;

/** 2^-53: (2k + 1) · 2^-53 is u = (k + ½) / 2^52 with no rounding. */
const TWO_TO_MINUS_53 = 2 ** -53;

/** The 52-bit integer k of a (name, node) pair: the top 52 bits of Mix13(nameHash XOR nodeHash). */
export function placementBits(name: Hash64, node: Hash64): number {
  return mixedTop52(name.hi ^ node.hi, name.lo ^ node.lo);
}

/** The top 52 bits of Mix13 of the 64-bit value (hi, lo); the hot path takes halves, not objects. */
export function mixedTop52(xHi: number, xLo: number): number {
  let hi = xHi >>> 0;
  let lo = xLo >>> 0;
  // z ^= z >>> 30
  lo = (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0;
  hi = (hi ^ (hi >>> 30)) >>> 0;
  // z *= M1 (mod 2^64)
  let productHi = (mulHigh32(lo, M1_LO) + Math.imul(hi, M1_LO) + Math.imul(lo, M1_HI)) >>> 0;
  lo = Math.imul(lo, M1_LO) >>> 0;
  hi = productHi;
  // z ^= z >>> 27
  lo = (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0;
  hi = (hi ^ (hi >>> 27)) >>> 0;
  // z *= M2 (mod 2^64)
  productHi = (mulHigh32(lo, M2_LO) + Math.imul(hi, M2_LO) + Math.imul(lo, M2_HI)) >>> 0;
  lo = Math.imul(lo, M2_LO) >>> 0;
  hi = productHi;
  // z ^= z >>> 31
  lo = (lo ^ ((lo >>> 31) | (hi << 1))) >>> 0;
  hi = (hi ^ (hi >>> 31)) >>> 0;
  return hi * 0x100000 + (lo >>> 12);
}

/** u ∈ (0, 1) of a 52-bit k: (k + ½) / 2^52, exactly representable as a binary64. */
export function placementUniform(bits: number): number {
  return (bits * 2 + 1) * TWO_TO_MINUS_53;
}

/**
 * The ranking key of a node for a name; larger ranks first, equal keys by node id (UTF-8 bytes,
 * ascending). For weight > 0 it is `weight / −ln(u)` (straw2's exponential race: the node with the
 * smallest Exp(weight) arrival wins, so each is first with probability weight / Σ weights). A drained
 * node (weight 0) gets `ln(u)`, which is negative: below every active node, and among drained nodes
 * ordered as if they all weighed 1, so fallbacks onto drained nodes still spread evenly.
 */
export function placementKey(name: Hash64, node: Hash64, weight: number): number {
  return keyOfMixed(name.hi ^ node.hi, name.lo ^ node.lo, weight);
}

/** `placementKey` of the XORed halves (the ranking loop's entry point). */
export function keyOfMixed(xHi: number, xLo: number, weight: number): number {
  const logU = Math.log((mixedTop52(xHi, xLo) * 2 + 1) * TWO_TO_MINUS_53);
  return weight > 0 ? weight / -logU : logU;
}

/**
 * Compares two ids by their UTF-8 bytes (equivalently by code points), which differs from JS `<`
 * (UTF-16 code units) only above U+FFFF; the spec uses bytes so other languages need no UTF-16.
 */
export function compareIds(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    // A surrogate encodes a code point above U+FFFF, which sorts after every BMP code unit.
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
