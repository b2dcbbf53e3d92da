import type { RuleInput } from '../../contract/index.js';

/** Rules the demo city starts with (one or more per built-in domain); the config file may override them by id. */
export const DEFAULT_RULES: readonly RuleInput[] = [
  {
    id: 'pm25-very-unhealthy',
    name: 'PM2.5 very unhealthy',
    domain: 'sensor',
    // 150 µg/m³ is the top of the "unhealthy" band; clearing at 120 keeps a hovering sensor from flapping.
    condition: { field: 'pm25', op: '>', value: 150, clear: 120 },
    for: '5m',
    severity: 'critical',
  },
  {
    id: 'water-level-rising-fast',
    name: 'Water level rising fast',
    domain: 'sensor',
    condition: { rate: { field: 'level', per: '10m' }, op: '>', value: 0.5 },
    severity: 'warning',
    escalateAfter: '15m',
  },
  {
    id: 'junction-flow-collapse',
    name: 'Junction flow collapse',
    domain: 'traffic',
    condition: {
      all: [
        { field: 'flow', op: '<', value: 2 },
        { field: 'speed', op: '<', value: 5 },
      ],
    },
    for: '2m',
    severity: 'warning',
  },
  {
    id: 'er-wait-long',
    name: 'Emergency room wait over 60 min',
    domain: 'health',
    condition: { field: 'erWait', op: '>', value: 60, clear: 45 },
    severity: 'warning',
    escalateAfter: '30m',
  },
  {
    id: 'service-queue-wait-long',
    name: 'Service centre wait over 45 min',
    domain: 'queue',
    condition: { field: 'avgWait', op: '>', value: 45, clear: 35 },
    severity: 'info',
    escalateAfter: '30m',
  },
  {
    id: 'sensor-silent',
    name: 'Sensor silent',
    domain: 'sensor',
    condition: { absent: '5m' },
    severity: 'warning',
  },
];
