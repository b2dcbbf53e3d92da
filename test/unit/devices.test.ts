import { describe, expect, it } from 'vitest';
import { DROPPED_TOPIC, createInternalCredential, isLoopbackAddress } from '../../server/devices/broker-auth.js';
import { deviceRoleName, deviceTopic, deviceUsername } from '../../server/devices/names.js';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.255.3.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3'])('%s is loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each(['10.0.0.1', '192.168.1.127', '128.0.0.1', '::ffff:10.0.0.1', '::2', 'fe80::1', '1127.0.0.1', '127.0.0.1.evil', '', 'localhost'])(
    '%s is not loopback',
    (address) => {
      expect(isLoopbackAddress(address)).toBe(false);
    },
  );

  it('treats an unknown address (a non-socket transport) as remote', () => {
    expect(isLoopbackAddress(undefined)).toBe(false);
  });
});

describe('device names', () => {
  it('derives the username from domain and id', () => {
    expect(deviceUsername('parking', 'P-001')).toBe('dev-parking.P-001');
    expect(deviceUsername('air_quality', 'aq:hanoi.7')).toBe('dev-air_quality.aq:hanoi.7');
  });

  it('never gives two (domain, id) pairs the same username', () => {
    // Domains may hold "-", ids may hold "-" and "."; the first "." always ends the domain.
    expect(deviceUsername('a-b', 'c')).not.toBe(deviceUsername('a', 'b-c'));
    expect(deviceUsername('a', 'b.c')).not.toBe(deviceUsername('a-b', 'c'));
  });

  it('puts the device on its own topic under the configured root', () => {
    expect(deviceTopic('city', 'parking', 'P-001')).toBe('city/parking/P-001');
    expect(deviceTopic('hcm/city', 'traffic', 'cam.9')).toBe('hcm/city/traffic/cam.9');
  });

  it('names one dynsec role per device', () => {
    expect(deviceRoleName('dev-parking.P-001')).toBe('role-dev-parking.P-001');
  });

  it('keeps dropped publishes on a topic no wildcard subscription matches', () => {
    expect(DROPPED_TOPIC.startsWith('$')).toBe(true);
  });

  it('makes a fresh internal password at every start', () => {
    const a = createInternalCredential();
    const b = createInternalCredential();
    expect(a.username).toBe('ioc-internal');
    expect(a.password).not.toBe(b.password);
    expect(a.password.length).toBeGreaterThanOrEqual(40);
  });
});
