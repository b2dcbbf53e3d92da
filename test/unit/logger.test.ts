import { describe, expect, it } from 'vitest';
import { createLogger, redactUrlPasswords } from '../../config/logger.js';

function capture(level: Parameters<typeof createLogger>[0] = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, { service: 'ioc' }, { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('logger', () => {
  it('writes one JSON object per line with level, time, message and bindings', () => {
    const { logger, lines } = capture();
    logger.child({ module: 'store' }).warn('write failed', { entity: 'sensor/a-1', attempts: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'write failed', service: 'ioc', module: 'store', entity: 'sensor/a-1', attempts: 3 });
    expect(typeof lines[0]?.time).toBe('string');
    expect(Number.isNaN(Date.parse(String(lines[0]?.time)))).toBe(false);
  });

  it('drops lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.info('hello');
    logger.debug('hello');
    logger.error('bad');
    expect(lines.map((line) => line.msg)).toEqual(['bad']);
  });

  it('never writes passwords, tokens or cookies, by key or inside URLs', () => {
    const { logger, lines } = capture();
    logger.info('connecting to mqtt://ioc:hunter2@broker:1883', {
      password: 'hunter2',
      token: 'ioc_abc',
      headers: { cookie: 'ioc_session=s3cret', authorization: 'Bearer ioc_abc' },
      url: 'http://admin:s3cr3t@influx:8086/write?db=ioc',
      nested: { list: ['redis://:pw@cache:6379'] },
    });
    const text = JSON.stringify(lines);
    for (const secret of ['hunter2', 'ioc_abc', 's3cret', 's3cr3t', ':pw@']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      msg: 'connecting to mqtt://ioc:***@broker:1883',
      password: '[redacted]',
      headers: { cookie: '[redacted]', authorization: '[redacted]' },
      url: 'http://admin:***@influx:8086/write?db=ioc',
      nested: { list: ['redis://:***@cache:6379'] },
    });
  });

  it('leaves URLs without a password alone', () => {
    expect(redactUrlPasswords('http://influx:8086/query and mqtt://user@host')).toBe('http://influx:8086/query and mqtt://user@host');
  });
});
