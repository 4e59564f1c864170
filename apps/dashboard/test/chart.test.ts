import { describe, expect, it } from 'vitest';
import { polylinePoints } from '../src/chart.js';

describe('polylinePoints', () => {
  it('maps time to x and value to y (0 at the bottom), dropping points before the window', () => {
    const points = [
      { at: 0, value: 5 },
      { at: 100, value: 0 },
      { at: 200, value: 10 },
      { at: 300, value: 5 },
    ];
    expect(polylinePoints(points, 100, 300, 10, 200, 50)).toBe('0.0,50.0 100.0,0.0 200.0,25.0');
  });

  it('an all-zero series lies on the axis', () => {
    expect(polylinePoints([{ at: 5, value: 0 }], 0, 10, 0, 100, 40)).toBe('50.0,40.0');
  });
});
