import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../config/logger.js';
import { startIoc, type RunningIoc } from '../../server/start-ioc.js';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { waitFor } from '../support/ports.js';
import { startInfluxd, startMosquitto, uniqueName, type RunningService } from '../support/services.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Passwords in IOC_INFLUX_URL and IOC_MQTT_URL reach neither /readyz (up or down) nor a log line.
const MQTT_PASSWORD = 'mqtt-pw-Zq81xv';
const INFLUX_PASSWORD = 'influx-pw-Kp42wd';

describe('/readyz and the log never show a URL password', () => {
  let mosquitto: RunningService;
  let influxd: RunningService;
  let ioc: RunningIoc;
  let dataDir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    [mosquitto, influxd] = await Promise.all([startMosquitto(), startInfluxd()]);
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-secrets-'));
    const withPassword = (url: string, user: string, password: string) => url.replace('://', `://${user}:${password}@`);
    const config = loadConfig({
      noFile: true,
      env: {
        IOC_MQTT_URL: withPassword(mosquitto.url, 'ingest', MQTT_PASSWORD),
        IOC_INFLUX_URL: withPassword(influxd.url, 'writer', INFLUX_PASSWORD),
        IOC_INFLUX_DB: uniqueName('secrets'),
      },
      overrides: { port: 0, host: '127.0.0.1', dataDir, simulate: false, auth: { adminPassword: TEST_ADMIN_PASSWORD }, mqtt: { clientId: uniqueName('ingest') } },
    });
    ioc = await startIoc(config, { logger: createLogger('debug', {}, { write: (line: string) => void lines.push(line) }) });
  });
  afterAll(async () => {
    await ioc?.close();
    await Promise.all([mosquitto?.stop(), influxd?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${ioc.port}/readyz`);
    return { status: res.status, text: await res.text() };
  };

  it('answers ready through URLs with credentials (the InfluxDB password is sent as HTTP Basic, not in the URL)', async () => {
    const ready = await waitFor(async () => {
      const r = await readyz();
      return r.status === 200 ? r : undefined;
    }, 'readyz 200');
    expect(ready.text).not.toContain(MQTT_PASSWORD);
    expect(ready.text).not.toContain(INFLUX_PASSWORD);
    expect(ioc.mqttUrl).toContain(MQTT_PASSWORD);
  });

  it('names what is down without the passwords once the broker and the database are gone', async () => {
    await Promise.all([mosquitto.stop(), influxd.stop()]);
    const down = await waitFor(async () => {
      const r = await readyz();
      const body = JSON.parse(r.text) as { checks: Record<string, { ok: boolean; detail?: string }> };
      return r.status === 503 && body.checks.broker?.ok === false && body.checks.store?.ok === false ? { ...r, body } : undefined;
    }, 'readyz 503 with broker and store down', 20_000);
    expect(down.body.checks.broker?.detail).toContain('ingest:***@127.0.0.1');
    expect(down.text).not.toContain(MQTT_PASSWORD);
    expect(down.text).not.toContain(INFLUX_PASSWORD);
  });

  it('keeps both passwords out of every log line', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes(MQTT_PASSWORD) || line.includes(INFLUX_PASSWORD))).toEqual([]);
    expect(lines.some((line) => line.includes('ingest:***@'))).toBe(true);
  });
});
