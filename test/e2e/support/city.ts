import { TEST_ADMIN_PASSWORD } from '../../support/auth.js';

/** The map of the e2e city: centre, zoom and one zone (the wall names it on its alert cards). */
export const E2E_MAP = {
  center: [106.19, 21.276],
  zoom: 13,
  zones: [
    {
      id: 'centre',
      name: { vi: 'Khu trung tâm', en: 'City centre' },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [106.17, 21.255],
            [106.215, 21.255],
            [106.215, 21.3],
            [106.17, 21.3],
            [106.17, 21.255],
          ],
        ],
      },
    },
  ],
};

/** Product settings shared by the console e2e tests: an external broker, no simulator, one city zone. */
export function e2eOverrides(mqttUrl: string, clientId: string, dataDir: string): Record<string, unknown> {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    simulate: false,
    logLevel: 'warn',
    mqtt: { url: mqttUrl, clientId },
    auth: { adminPassword: TEST_ADMIN_PASSWORD },
    map: E2E_MAP,
  };
}
