import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotifyConfigSchema } from '../../config/field-schema.js';
import { silentLogger } from '../../config/logger.js';
import { createNotifier, type NotifierService } from '../../server/notify/notifier.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import { startJsonFake, type JsonFake } from '../support/notify-fakes.js';
import { alertMessage, WHSEC } from '../support/notify-setup.js';

/* The delivery log's upkeep: finished deliveries are deleted once older than notify.keep, and each node counts outcomes for /metrics. */

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);

describe('delivery log upkeep', () => {
  let state: SqliteStateStore;
  let hooks: JsonFake;
  let notifier: NotifierService;
  let now = T0;

  beforeAll(async () => {
    hooks = await startJsonFake();
    // The "down" hook keeps failing, so its delivery stays open (retrying) past the keep window.
    hooks.respond = (request) => (request.path === '/down' ? { status: 503 } : { status: 200 });
    state = new SqliteStateStore({ file: ':memory:' });
    await state.init();
    notifier = await createNotifier({
      config: NotifyConfigSchema.parse({
        keep: '30d',
        retry: { attempts: 10, backoff: 60_000, maxBackoff: 60_000 },
        webhooks: [
          { id: 'ops', url: `${hooks.url}/ops`, secret: WHSEC, events: ['alert.firing'] },
          { id: 'down', url: `${hooks.url}/down`, secret: WHSEC, events: ['alert.firing'] },
        ],
      }),
      state,
      logger: silentLogger,
      publicUrl: () => 'https://ioc.example.vn',
      clock: () => now,
    });
  });
  afterAll(async () => {
    await notifier?.close();
    await state?.close();
    await hooks?.stop();
  });

  it('deletes finished deliveries older than notify.keep, keeps recent and unfinished ones, and counts outcomes', async () => {
    await notifier.notify(alertMessage('old'), ['webhook:ops', 'webhook:down'], 'k-old');
    now = T0 + 20 * DAY;
    await notifier.notify(alertMessage('recent'), ['webhook:ops'], 'k-recent');
    now = T0 + 31 * DAY;

    expect(await notifier.prune(now)).toBe(1);
    const left = await notifier.list({ limit: 100 });
    expect(left.map((d) => [d.itemId, d.target, d.state]).sort()).toEqual([
      ['old', 'down', 'retrying'],
      ['recent', 'ops', 'sent'],
    ]);
    expect(await notifier.prune(now)).toBe(0);
    expect(notifier.stats().sort((a, b) => a.state.localeCompare(b.state))).toEqual([
      { channel: 'webhook', state: 'retrying', count: 1 },
      { channel: 'webhook', state: 'sent', count: 2 },
    ]);
  });
});
