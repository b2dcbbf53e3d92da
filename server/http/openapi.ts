import express, { type Router } from 'express';
import { z } from 'zod';
import type { Access, RouteSpec } from './route-catalog.js';

/*
 * The OpenAPI 3.1 document, generated from the route catalog and the contract's zod schemas
 * (z.toJSONSchema): no second hand-written copy to drift. A test validates it with an
 * independent OpenAPI validator and walks every route in it with every role.
 */

type JsonSchema = Record<string, unknown>;

/** Definitions of recursive schemas (rule conditions), hoisted into components.schemas. */
type Definitions = Record<string, unknown>;

/** Points `#/$defs/<name>` references at `#/components/schemas/<prefix><name>`. */
function rewriteRefs(node: unknown, prefix: string): unknown {
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, prefix));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')
        ? `#/components/schemas/${prefix}${value.slice(8)}`
        : rewriteRefs(value, prefix);
  }
  return out;
}

function schemaOf(schema: z.ZodType, io: 'input' | 'output', definitions: Definitions, prefix: string): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  const defs = json.$defs as Record<string, unknown> | undefined;
  delete json.$defs;
  if (defs === undefined) return json;
  for (const [name, def] of Object.entries(defs)) definitions[`${prefix}${name}`] = rewriteRefs(def, prefix);
  return rewriteRefs(json, prefix) as JsonSchema;
}

/** Query parameters from an object schema's properties (each one a string in the URL). */
function queryParameters(schema: z.ZodType, definitions: Definitions, prefix: string): unknown[] {
  const json = schemaOf(schema, 'input', definitions, prefix);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
}

function accessText(access: Access): string {
  if (access === 'public') return 'No identity needed.';
  if (access === 'authenticated') return 'Any signed-in person or valid token.';
  return `Needs permission \`${access}\` (see the role table in the README).`;
}

const ERROR_BODY = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

function operation(spec: RouteSpec, definitions: Definitions): Record<string, unknown> {
  const operationId = `${spec.method}${spec.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`;
  const status = String(spec.status ?? 200);
  const success: Record<string, unknown> = { description: 'Success' };
  if (spec.response)
    success.content = {
      'application/json': { schema: schemaOf(spec.response, 'output', definitions, `${operationId}Response`) },
    };
  else if (spec.produces) success.content = { [spec.produces]: { schema: { type: 'string' } } };
  const responses: Record<string, unknown> = { [status]: success };
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  if (spec.query || spec.body)
    responses['400'] = { description: 'Invalid input; the message names the bad key.', content: errorContent };
  if (spec.access !== 'public') {
    responses['401'] = { description: 'No identity (sign in, or send a bearer token).', content: errorContent };
    if (spec.access !== 'authenticated')
      responses['403'] = { description: "The caller's role or scope may not do this.", content: errorContent };
  }
  const op: Record<string, unknown> = {
    operationId,
    summary: spec.summary,
    description: accessText(spec.access),
    tags: [spec.tag],
    responses,
  };
  if (spec.access !== 'public') op.security = [{ session: [] }, { bearer: [] }];
  const parameters: unknown[] = [];
  for (const name of spec.path.match(/:([A-Za-z0-9_]+)/g) ?? []) {
    parameters.push({ name: name.slice(1), in: 'path', required: true, schema: { type: 'string' } });
  }
  if (spec.query) parameters.push(...queryParameters(spec.query, definitions, `${operationId}Query`));
  if (parameters.length > 0) op.parameters = parameters;
  const content: Record<string, unknown> = {};
  if (spec.body) {
    content['application/json'] = { schema: schemaOf(spec.body, 'input', definitions, `${operationId}Body`) };
    for (const type of spec.bodyTypes ?? []) content[type] = { schema: { type: 'string' } };
  }
  if (spec.multipart) {
    const binary = { type: 'string', format: 'binary' };
    const properties = Object.fromEntries(
      Object.entries(spec.multipart).map(([field, kind]) => [
        field,
        kind === 'file' ? binary : kind === 'files' ? { type: 'array', items: binary } : { type: 'string' },
      ]),
    );
    const required = Object.entries(spec.multipart)
      .filter(([, kind]) => kind !== 'files')
      .map(([field]) => field);
    content['multipart/form-data'] = { schema: { type: 'object', properties, required } };
  }
  if (Object.keys(content).length > 0) op.requestBody = { required: true, content };
  return op;
}

/** The whole document for `routes`. */
export function buildOpenApi(
  routes: readonly RouteSpec[],
  info: { version: string; serverUrl?: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const definitions: Definitions = {};
  for (const spec of routes) {
    const path = spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[spec.method] = operation(spec, definitions);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'City IOC console API',
      version: info.version,
      description:
        'REST API of the operations console. Sign in with POST /api/v1/auth/login (cookie `ioc_session`) or send an API token as `Authorization: Bearer <token>`.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Error: ERROR_BODY, ...definitions },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'ioc_session' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
  };
}

export function createOpenApiRouter(
  routes: readonly RouteSpec[],
  info: { version: string; serverUrl?: string },
): Router {
  const router = express.Router();
  let document: Record<string, unknown> | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= buildOpenApi(routes, info);
    res.json(document);
  });
  return router;
}
