import type { RouteSpec } from '../http/route-catalog.js';

export const ESCALATION_ROUTES: readonly RouteSpec[] = [];
