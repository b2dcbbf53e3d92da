import type { RouteSpec } from '../http/route-catalog.js';

export const NOTIFY_ROUTES: readonly RouteSpec[] = [];
