import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../contract/index.js';
import { PostgresStateStore } from '../../server/state/postgres-state.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

const RULE = {
  id: 'race-test',
  name: 'Water high (race test)',
  domain: 'sensor',
  condition: { field: 'level', op: '>', value: 3 },
  severity: 'warning',
};
const ENTITIES = 6;

// Two product nodes sharing one PostgreSQL state store: people on both act on the same alert at once.
describe('two nodes on one PostgreSQL', () => {
  let postgres: RunningPostgres;
  let nodeA: TestIoc;
  let nodeB: TestIoc;
  let url: string;

  beforeAll(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase('race');
    nodeA = await startTestIoc({ mqtt: { port: 0 }, postgresUrl: url, rules: [RULE] });
    nodeB = await startTestIoc({ mqtt: { port: 0 }, postgresUrl: url, rules: [RULE] });
  });
  afterAll(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    await postgres?.stop();
  });

  it('shares people and sessions: a user made on one node signs in on the other', async () => {
    await nodeA.api.createUser('shared-op', ['operator']);
    const me = await nodeB.api.fetch('/api/v1/users/shared-op');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { roles: string[] }).roles).toEqual(['operator']);
  });

  it('lets exactly one of two simultaneous acknowledgements win', async () => {
    const ts = Date.now() - 5000;
    const items = Array.from({ length: ENTITIES }, (_, i) => ({ domain: 'sensor', id: `race-${i}`, ts, fields: { level: 4 + i } }));
    const ingest = await nodeA.api.fetch('/api/v1/ingest', { method: 'POST', json: items });
    expect(ingest.status).toBe(202);
    const firing = await waitFor(async () => {
      const body = (await (await nodeA.api.fetch('/api/v1/alerts?state=firing&ruleId=race-test')).json()) as { alerts: Alert[] };
      return body.alerts.length === ENTITIES ? body.alerts : undefined;
    }, `${ENTITIES} alerts firing on node A`);
    // Node B reads them from the shared store once node A has saved them.
    for (const alert of firing) {
      await waitFor(async () => (await nodeB.api.fetch(`/api/v1/alerts/${alert.id}`)).status === 200, `alert ${alert.id} visible on node B`);
    }
    for (const alert of firing) {
      const [a, b] = await Promise.all([
        nodeA.api.fetch(`/api/v1/alerts/${alert.id}/ack`, { method: 'POST', json: { note: 'from A' } }),
        nodeB.api.fetch(`/api/v1/alerts/${alert.id}/ack`, { method: 'POST', json: { note: 'from B' } }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const loser = a.status === 409 ? a : b;
      expect(((await loser.json()) as { error: { code: string } }).error.code).toBe('conflict');
    }
    // The store holds one acknowledgement per alert, made by one node.
    const reader = new PostgresStateStore({ url });
    try {
      for (const alert of firing) {
        const stored = await reader.getAlert(alert.id);
        expect(stored?.state).toBe('acknowledged');
        expect(stored?.history?.filter((event) => event.action === 'ack')).toHaveLength(1);
      }
    } finally {
      await reader.close();
    }
  });
});
