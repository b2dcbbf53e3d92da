import mqtt from 'mqtt';
import type { Logger } from '../config/logger.js';
import type { CameraConfig } from '../config/wall-schema.js';
import { createSimulator, SIMULATED_CAMERAS, type Simulator, type Ward } from '../simulator/index.js';

/** The demo city's cameras, as a `cameras:` config entry would list them. */
export function simulatedCameras(): CameraConfig[] {
  return SIMULATED_CAMERAS.map(({ id, name, lat, lon }) => ({ id, name, lat, lon }));
}

export interface SimulatorFeedOptions {
  mqttUrl: string;
  httpUrl: string;
  ingestToken?: string;
  /** Login on the broker (the embedded broker's internal credential). */
  mqttUsername?: string;
  mqttPassword?: string;
  topicRoot: string;
  rate: number;
  httpShare: number;
  seed: number;
  eventStreams: boolean;
  dossierBackfill: number;
  camerasTopic: string;
  /** The configured zones: the demo devices are tagged with the ward they stand in. */
  wards: readonly Ward[];
  logger: Logger;
}

export interface SimulatorFeed {
  simulator: Simulator;
  stop(): Promise<void>;
}

/** Runs the demo city as a real device fleet would: its own MQTT connection and HTTP posts. */
export async function startSimulatorFeed(options: SimulatorFeedOptions): Promise<SimulatorFeed> {
  const { logger } = options;
  const client = await mqtt.connectAsync(options.mqttUrl, {
    clientId: `ioc-simulator-${process.pid}`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    ...(options.mqttUsername !== undefined ? { username: options.mqttUsername, password: options.mqttPassword } : {}),
  });
  client.on('error', (err) => logger.warn('simulator MQTT error', { error: err.message }));
  let errorsLogged = 0;
  const simulator = createSimulator({
    rate: options.rate,
    httpShare: options.httpShare,
    seed: options.seed,
    topicRoot: options.topicRoot,
    eventStreams: options.eventStreams,
    dossierBackfill: options.dossierBackfill,
    camerasTopic: options.camerasTopic,
    wards: options.wards,
    transport: {
      // Resolves on the broker's ack: a tick waits for its messages, so a simulator faster than ingest
      // skips ticks instead of queueing without bound in the MQTT client.
      publish: (topic, payload) =>
        new Promise<void>((resolve, reject) => {
          client.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
        }),
      postHttp: async (observations) => {
        const res = await fetch(options.httpUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.ingestToken ? { authorization: `Bearer ${options.ingestToken}` } : {}),
          },
          body: JSON.stringify(observations),
        });
        if (!res.ok && res.status !== 202) throw new Error(`HTTP ingest answered ${res.status}: ${await res.text()}`);
      },
    },
    onError: (err) => {
      if (errorsLogged++ < 5) logger.warn('simulator error', { error: err.message });
    },
  });
  simulator.start();
  logger.info('demo city simulator running', { rate: options.rate, entities: simulator.stats().entities });
  return {
    simulator,
    stop: async () => {
      await simulator.stop();
      // Simulated data still unsent at shutdown is not worth waiting for.
      await client.endAsync(true);
    },
  };
}
