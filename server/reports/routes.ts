import type { RouteSpec } from '../http/route-catalog.js';

export const REPORT_ROUTES: readonly RouteSpec[] = [];
