// The SLA clocks and board columns main and the renderer both judge by: the response is due once
// its deadline passed unaccepted (or it was accepted late), the resolution once its deadline
// passed; only assigned or accepted orders can be enforced, each breach once.
import { describe, expect, it } from 'vitest';
import { boardColumn, slaClocks, type ClockSource } from '../../src/shared/api/maintenance';

const assigned: ClockSource = {
  status: 'assigned',
  respondBy: 1_000,
  resolveBy: 5_000,
  acceptedLate: null,
  responseEnforced: false,
  resolutionEnforced: false,
};

const clock = (order: ClockSource, now: number, breach: 'response' | 'resolution') =>
  slaClocks(order, now).find((c) => c.breach === breach)!;

describe('SLA clocks', () => {
  it('count down to each deadline and make a passed one enforceable, not before', () => {
    expect(clock(assigned, 400, 'response')).toMatchObject({
      remaining: 600,
      enforceable: false,
      met: false,
    });
    // At the deadline itself the contract says "not due" (block.timestamp > deadline).
    expect(clock(assigned, 1_000, 'response').enforceable).toBe(false);
    expect(clock(assigned, 1_001, 'response')).toMatchObject({ remaining: -1, enforceable: true });
    expect(clock(assigned, 1_001, 'resolution').enforceable).toBe(false);
    expect(clock(assigned, 5_001, 'resolution').enforceable).toBe(true);
  });

  it('treat a timely acceptance as met and a late one as still enforceable', () => {
    const onTime = { ...assigned, status: 'accepted' as const, acceptedLate: false };
    expect(clock(onTime, 2_000, 'response')).toMatchObject({ met: true, enforceable: false });
    const late = { ...onTime, acceptedLate: true };
    expect(clock(late, 2_000, 'response')).toMatchObject({ met: false, enforceable: true });
  });

  it('never offer a breach twice, nor on a closed or unassigned order', () => {
    expect(clock({ ...assigned, responseEnforced: true }, 2_000, 'response')).toMatchObject({
      enforced: true,
      enforceable: false,
    });
    for (const status of ['completed', 'cancelled'] as const)
      expect(slaClocks({ ...assigned, status }, 9_000).some((c) => c.enforceable)).toBe(false);
    expect(slaClocks({ ...assigned, status: 'open', respondBy: null, resolveBy: null }, 9_000)).toEqual([]);
  });

  it('put each order in its column at the chain time given', () => {
    expect(boardColumn(assigned, 500)).toBe('open');
    expect(boardColumn({ ...assigned, status: 'open', respondBy: null, resolveBy: null }, 99_999)).toBe(
      'open',
    );
    expect(boardColumn({ ...assigned, status: 'accepted', acceptedLate: false }, 2_000)).toBe('accepted');
    expect(boardColumn(assigned, 1_001)).toBe('overdue');
    expect(boardColumn({ ...assigned, status: 'accepted', acceptedLate: false }, 5_001)).toBe('overdue');
    // An enforced breach keeps the order overdue until it is closed.
    expect(
      boardColumn({ ...assigned, status: 'accepted', acceptedLate: true, responseEnforced: true }, 2_000),
    ).toBe('overdue');
    expect(boardColumn({ ...assigned, status: 'completed' }, 9_000)).toBe('done');
    expect(boardColumn({ ...assigned, status: 'cancelled' }, 9_000)).toBe('done');
  });
});
