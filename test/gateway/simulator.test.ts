// The simulator's options and its drift: normal values at first, the threshold reached at the end
// of the ramp, past it afterwards, always within the channel's physical bounds.
import { describe, expect, it } from 'vitest';
import { DEMO_CHANNELS } from '../../src/main/gateway/demo-channels';
import { parseArgs, simulatedValue } from '../../src/main/gateway/simulator';

describe('sensor simulator', () => {
  it('reads its options and refuses bad ones with the flag named', () => {
    expect(
      parseArgs([
        '--broker',
        'mqtt://10.0.0.2:1884',
        '--rate',
        '5',
        '--duration',
        '30',
        '--ramp',
        '20',
        '--elements',
        'pump-1,fan-1',
      ]),
    ).toMatchObject({
      broker: 'mqtt://10.0.0.2:1884',
      rate: 5,
      duration: 30,
      ramp: 20,
      elements: ['pump-1', 'fan-1'],
    });
    expect(parseArgs(['--elements', 'all']).elements).toHaveLength(DEMO_CHANNELS.length);
    expect(() => parseArgs(['--rate', '-1'])).toThrow('--rate must be a number');
    expect(() => parseArgs(['--rate'])).toThrow('--rate needs a value');
    expect(() => parseArgs(['--speed', '3'])).toThrow('unknown option --speed');
  });

  it('drifts each channel from normal to its threshold over the ramp, then past it', () => {
    for (const channel of DEMO_CHANNELS) {
      const at = (t: number) => simulatedValue(channel, t, 60, 0);
      expect(at(0)).toBeCloseTo(channel.baseline, 3);
      expect(at(5)).toBeCloseTo(channel.baseline, 3);
      expect(at(30)).toBeGreaterThan(channel.baseline);
      expect(at(30)).toBeLessThan(channel.threshold);
      expect(at(60)).toBeCloseTo(channel.threshold, 3);
      expect(at(90)).toBeGreaterThan(channel.threshold);
      expect(at(600)).toBe(at(90));
      // Noise never leaves the physical bounds.
      expect(simulatedValue(channel, 0, 60, -1e6)).toBe(channel.minValue);
      expect(simulatedValue(channel, 90, 60, 1e6)).toBe(channel.maxValue);
    }
  });
});
