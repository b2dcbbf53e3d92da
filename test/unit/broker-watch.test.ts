import { describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger.js';
import { createBrokerWatch } from '../../ingest/mqtt/subscriber.js';

interface LogLine {
  level: string;
  msg: string;
  dropped?: number;
  droppedSinceBrokerStart?: number;
}

function recordingLogger() {
  const lines: LogLine[] = [];
  const logger = createLogger('debug', {}, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

const DROPPED = '$SYS/broker/publish/messages/dropped';
const HELD = '$SYS/broker/store/messages/count';

describe('broker $SYS watch', () => {
  it('keeps the counters and warns with how many more the broker dropped', () => {
    const { logger, lines } = recordingLogger();
    const watch = createBrokerWatch(logger);
    expect(watch.counters()).toEqual({});
    watch.receive(HELD, Buffer.from('12'));
    watch.receive(DROPPED, Buffer.from('0'));
    expect(watch.counters()).toEqual({ held: 12, dropped: 0 });
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(0);
    watch.receive(DROPPED, Buffer.from('0'));
    watch.receive(DROPPED, Buffer.from('40'));
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ dropped: 40, droppedSinceBrokerStart: 40 });
    expect(warnings[0]!.msg).toMatch(/max_queued_messages/);
    expect(watch.counters()).toEqual({ held: 12, dropped: 40 });
  });

  it('says so at once when the broker had dropped messages before ingest connected', () => {
    const { logger, lines } = recordingLogger();
    createBrokerWatch(logger).receive(DROPPED, Buffer.from('7'));
    expect(lines.filter((l) => l.level === 'warn')).toMatchObject([{ dropped: 7 }]);
  });

  it('ignores values that are not counters and topics it did not ask for', () => {
    const { logger, lines } = recordingLogger();
    const watch = createBrokerWatch(logger);
    for (const bad of ['', 'many', '-3', '1e9', '12.5', '9'.repeat(20)]) watch.receive(DROPPED, Buffer.from(bad));
    watch.receive('$SYS/broker/uptime', Buffer.from('99'));
    expect(watch.counters()).toEqual({});
    expect(lines.every((l) => l.level === 'debug')).toBe(true);
  });
});
