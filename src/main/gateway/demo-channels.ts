// The sensors of the sample Duplex twin: the MEP model's circulator pumps and rooftop fan, each with
// a vibration and a temperature channel (topic, physical bounds, the threshold a rule watches).
// The simulator publishes on these topics, a sandbox gets these mappings on its first start, and
// sandbox seeding can register the same channels and rules on chain.

export interface DemoChannel {
  /** MQTT topic the simulator publishes on. */
  topic: string;
  /** IFC GlobalId of the element in Duplex_Electrical_20121207.ifc. */
  globalId: string;
  label: string;
  /** Metric name (bytes32 on chain). */
  metric: string;
  unit: string;
  minValue: number;
  maxValue: number;
  /** Where the simulated value starts, and the rule threshold it drifts past (comparator '>'). */
  baseline: number;
  threshold: number;
  /** Noise amplitude (one standard deviation). */
  noise: number;
}

export const DUPLEX_PUMP_1 = '13kXneVBL8egWoGKRJw4xa';
export const DUPLEX_PUMP_2 = '2$dTH4D0v6UvzO4e0uyqX5';
export const DUPLEX_ROOFTOP_FAN = '2Rz4AOKDzDwO7k0TYgCbNX';

/** ISO 10816-3 puts 7.1 mm/s RMS at the edge of "unacceptable" for small pumps; bearings fail hot. */
export const DEMO_CHANNELS: readonly DemoChannel[] = [
  {
    topic: 'sensors/duplex/pump-1/vibration',
    globalId: DUPLEX_PUMP_1,
    label: 'Circulator pump 1 vibration',
    metric: 'vibration_mm_s',
    unit: 'mm/s',
    minValue: 0,
    maxValue: 100,
    baseline: 2.2,
    threshold: 7.1,
    noise: 0.15,
  },
  {
    topic: 'sensors/duplex/pump-1/temperature',
    globalId: DUPLEX_PUMP_1,
    label: 'Circulator pump 1 bearing temperature',
    metric: 'temperature_c',
    unit: '°C',
    minValue: -40,
    maxValue: 200,
    baseline: 41,
    threshold: 80,
    noise: 0.4,
  },
  {
    topic: 'sensors/duplex/pump-2/vibration',
    globalId: DUPLEX_PUMP_2,
    label: 'Circulator pump 2 vibration',
    metric: 'vibration_mm_s',
    unit: 'mm/s',
    minValue: 0,
    maxValue: 100,
    baseline: 1.8,
    threshold: 7.1,
    noise: 0.12,
  },
  {
    topic: 'sensors/duplex/fan-1/vibration',
    globalId: DUPLEX_ROOFTOP_FAN,
    label: 'Rooftop fan vibration',
    metric: 'vibration_mm_s',
    unit: 'mm/s',
    minValue: 0,
    maxValue: 100,
    baseline: 3.1,
    threshold: 11.2,
    noise: 0.25,
  },
];
