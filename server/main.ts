import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger, redactUrlPasswords } from '../config/logger.js';
import { startIoc } from './start-ioc.js';
import { renderBanner } from './auth/bootstrap.js';

// Entry point of `npm start`: load config, start everything, shut down cleanly on Ctrl-C.
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const ioc = await startIoc(config, { logger });
  const url = config.publicUrl ?? `http://localhost:${ioc.port}`;
  process.stdout.write(`\n${renderBanner(url, ioc.signIn)}\nMQTT: ${redactUrlPasswords(ioc.mqttUrl)}\n\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down; flushing buffered writes', { signal });
    ioc.close().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error('shutdown failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`Start-up failed: ${err.message}\n`);
  process.exit(1);
});
