import { API_ERROR_CODES, statusOf } from '@dfs/api';
import { describe, expect, it } from 'vitest';
import { codeForStatus, errorFromResponse, normalizeServerCode } from '../src/errors.js';
import { toClusterView, toListPage, toPutResult } from '../src/responses.js';

const sha = 'b'.repeat(64);
const member = { id: 'n1', addr: 'h:1', state: 'alive', incarnation: 3, lastSeen: 9 };

describe('reading answers against the contract', () => {
  it('reads a cluster view whose self is a member (the contract) or a bare id (older nodes)', () => {
    const contract = toClusterView({ self: member, members: [member] }, 'n');
    expect(contract).toEqual({ self: 'n1', selfMember: member, members: [member] });
    expect(toClusterView({ self: 'n1', members: [member] }, 'n')).toEqual(contract);
  });

  it('reads placement when a node sends it, and leaves what it cannot read undefined', () => {
    const placed = { ...member, placement: { state: 'draining', weight: 0, capacity: 2 } };
    const view = toClusterView(
      {
        self: placed,
        members: [placed, { ...member, id: 'n2', placement: { state: 'orbiting' } }],
        replicas: 3,
        rebalancePaused: true,
        underReplicated: 5,
        surplus: 1,
      },
      'n',
    );
    expect(view).toMatchObject({
      replicas: 3,
      rebalancePaused: true,
      underReplicated: 5,
      surplus: 1,
    });
    expect(view.selfMember?.placement).toEqual({ state: 'draining', weight: 0, capacity: 2 });
    expect(view.members[1]?.placement).toBeUndefined();
    const old = toClusterView({ self: member, members: [member], replicas: 'three' }, 'n');
    expect(old).toMatchObject({ replicas: undefined, rebalancePaused: undefined });
  });

  it('takes modified and lastSeen as ms or a date, and a missing incarnation as 0', () => {
    const page = toListPage(
      {
        files: [
          { name: 'a', size: 1, sha256: sha, version: 'v', modified: '2024-01-01T00:00:00Z' },
        ],
        next: '',
      },
      'n',
    );
    expect(page).toEqual({
      files: [{ name: 'a', size: 1, sha256: sha, version: 'v', modified: 1_704_067_200_000 }],
      next: undefined,
    });
    const { incarnation, ...old } = member;
    expect(incarnation).toBe(3);
    const view = toClusterView({ self: 'n1', members: [{ ...old, lastSeen: 'never' }] }, 'n');
    expect(view.members[0]).toMatchObject({ incarnation: 0, lastSeen: undefined });
  });

  it.each([
    ['a size that is not a byte count', { name: 'a', size: -1, sha256: sha, version: 'v' }],
    ['a sha256 that is not lower-case hex', { name: 'a', size: 1, sha256: 'xyz', version: 'v' }],
    ['no version', { name: 'a', size: 1, sha256: sha }],
  ])('refuses an upload result with %s as ERR_BAD_RESPONSE', (_what, value) => {
    expect(() => toPutResult(value, 'n')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_RESPONSE' }),
    );
  });

  it('refuses a member in an unknown state', () => {
    expect(() =>
      toClusterView({ self: 'n1', members: [{ ...member, state: 'zombie' }] }, 'n'),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_RESPONSE' }));
  });
});

describe('the contract error codes', () => {
  it('maps every API code, whether or not the body carries it, to the same client code class', () => {
    for (const code of API_ERROR_CODES) {
      const fromBody = errorFromResponse(
        statusOf(code),
        JSON.stringify({ error: { code, message: 'm' } }),
        'n',
      );
      expect(fromBody).toMatchObject({ serverCode: code, status: statusOf(code) });
      expect(fromBody.code).toBe(normalizeServerCode(code));
      expect(fromBody.code).toMatch(/^ERR_[A-Z_]+$/);
    }
    expect(normalizeServerCode('METHOD_NOT_ALLOWED')).toBe('ERR_METHOD_NOT_ALLOWED');
    expect(normalizeServerCode('INSUFFICIENT_STORAGE')).toBe('ERR_INSUFFICIENT_STORAGE');
    expect(normalizeServerCode('ERR_NO_SPACE')).toBe('ERR_INSUFFICIENT_STORAGE');
    expect(codeForStatus(statusOf('NOT_FOUND'))).toBe('ERR_NOT_FOUND');
  });
});
