import type { EscalationPolicyInput } from '../../contract/index.js';

/**
 * The demo city's policies (used with the simulator when the config names none): critical and
 * warning alerts and every citizen report go to the zone's field user at once, and to the
 * supervisors when nobody acknowledges in time.
 */
export const DEMO_POLICIES: readonly EscalationPolicyInput[] = [
  {
    id: 'demo-alerts',
    name: 'Cảnh báo nghiêm trọng → đội hiện trường, rồi trực ban',
    match: { kind: 'alert', severity: ['critical'] },
    autoAssign: 'zone',
    steps: [
      { after: '0s', notify: ['assignee', 'zone:field'] },
      { after: '10m', notify: ['role:supervisor'] },
    ],
  },
  {
    id: 'demo-reports',
    name: 'Phản ánh hiện trường → đội hiện trường của phường, rồi trực ban',
    match: { kind: 'report' },
    autoAssign: 'zone',
    steps: [
      { after: '0s', notify: ['assignee', 'zone:field'] },
      { after: '30m', notify: ['role:supervisor'] },
    ],
  },
];
