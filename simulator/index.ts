export {
  createSimulator,
  syntheticCount,
  MAX_ENTITIES,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  type SimulatedEntity,
} from './simulator.js';
export type { SimulatorTransport } from './output.js';
export { INCIDENT_KINDS, type Incident, type IncidentKind } from './incidents.js';
export { aqiFromPm25 } from './sensor-models.js';
export type { Ward } from './places.js';
export { SIMULATED_CAMERAS, createEventStreams, type SimulatedCamera } from './event-streams.js';
