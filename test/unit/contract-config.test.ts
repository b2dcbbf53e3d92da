import { describe, expect, it } from 'vitest';
import { ingestSubscriptions, parseDuration, parseTopic } from '../../contract/index.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { ingestClientId } from '../../config/schema.js';

describe('topics', () => {
  it('parses entity and batch topics and refuses others', () => {
    expect(parseTopic('city/sensor/S1')).toEqual({ domain: 'sensor', id: 'S1' });
    expect(parseTopic('city/sensor')).toEqual({ domain: 'sensor' });
    expect(parseTopic('city/sensor/a/b')).toBeNull();
    expect(parseTopic('other/sensor/a')).toBeNull();
    expect(parseTopic('t1/city/traffic/x', 't1/city')).toEqual({ domain: 'traffic', id: 'x' });
    expect(ingestSubscriptions('city', 'g1')).toEqual(['$share/g1/city/+', '$share/g1/city/+/+']);
  });
  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('5 minutes')).toBeUndefined();
  });
});

describe('config', () => {
  it('has working defaults: embedded broker and store, simulator on', () => {
    const config = loadConfig({ noFile: true, env: {} });
    expect(config.port).toBe(8080);
    expect(config.mqtt.url).toBeUndefined();
    expect(config.influx.url).toBeUndefined();
    expect(config.simulate).toBe(true);
    expect(Object.isFrozen(config.mqtt)).toBe(true);
  });
  it('applies IOC_* overrides and turns the simulator off with an external broker', () => {
    const config = loadConfig({
      noFile: true,
      env: { IOC_PORT: '9000', IOC_MQTT_URL: 'mqtt://broker:1883', IOC_INFLUX_URL: 'http://db:8086', IOC_INFLUX_DB: 'x' },
    });
    expect(config.port).toBe(9000);
    expect(config.influx).toMatchObject({ url: 'http://db:8086', db: 'x' });
    expect(config.simulate).toBe(false);
  });
  it('names the bad key and what is allowed', () => {
    expect(() => loadConfig({ noFile: true, env: { IOC_SIMULATE: 'maybe' } })).toThrow(/IOC_SIMULATE.*1 or 0/);
    expect(() => loadConfig({ noFile: true, env: {}, overrides: { live: { deltaInterval: '10ms' } } })).toThrow(
      /live\.deltaInterval/,
    );
    expect(() => loadConfig({ noFile: true, env: { IOC_MQTT_URL: 'ftp://x' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { IOC_CONFIG: '/nonexistent.yaml' } })).toThrow(/IOC_CONFIG/);
  });
  it('takes one basemap, from the file or IOC_MAP_* variables, and refuses two or a bad tile template', () => {
    expect(loadConfig({ noFile: true, env: { IOC_MAP_PMTILES_FILE: '/srv/city.pmtiles' } }).map.pmtilesFile).toBe(
      '/srv/city.pmtiles',
    );
    const tiles = loadConfig({ noFile: true, env: { IOC_MAP_TILE_URL: 'https://tiles.city.vn/{z}/{x}/{y}.png' } }).map;
    expect(tiles).toMatchObject({ tileUrl: 'https://tiles.city.vn/{z}/{x}/{y}.png', tileSize: 256, tileMaxZoom: 19 });
    expect(() =>
      loadConfig({ noFile: true, env: { IOC_MAP_PMTILES_URL: 'https://a/x.pmtiles', IOC_MAP_STYLE_URL: 'https://a/s.json' } }),
    ).toThrow(/map: set at most one basemap/);
    expect(() => loadConfig({ noFile: true, env: { IOC_MAP_TILE_URL: 'https://tiles.city.vn/tile.png' } })).toThrow(
      /map\.tileUrl: must contain \{z\}, \{x\} and \{y\}/,
    );
  });
  it('reads the shipped config file', () => {
    const config = loadConfig({ env: {} });
    expect(config.map.center).toEqual([106.194, 21.273]);
  });
});

describe('ingest client id', () => {
  it('is ioc-ingest alone, one per host with a shared group, and whatever IOC_MQTT_CLIENT_ID says', () => {
    const alone = loadConfig({ noFile: true, env: {} });
    expect(ingestClientId(alone.mqtt, 'ioc-a')).toBe('ioc-ingest');
    const shared = loadConfig({ noFile: true, env: { IOC_MQTT_SHARED_GROUP: 'ioc' } });
    // Two nodes on one broker must never share an id: each would take the other's session in turn.
    expect(ingestClientId(shared.mqtt, 'ioc-a')).toBe('ioc-ingest-ioc-a');
    expect(ingestClientId(shared.mqtt, 'node 2.city.vn')).toBe('ioc-ingest-node-2-city-vn');
    const named = loadConfig({ noFile: true, env: { IOC_MQTT_SHARED_GROUP: 'ioc', IOC_MQTT_CLIENT_ID: 'ingest-7' } });
    expect(ingestClientId(named.mqtt, 'ioc-a')).toBe('ingest-7');
  });
});
