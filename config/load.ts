import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, ENV_OVERRIDES, type Config } from './schema.js';
import { readZonesFile } from './zones-file.js';

export type { Config } from './schema.js';

/** A configuration problem; the message names the bad key and what it allows. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const CONFIG_DIR = path.dirname(fileURLToPath(import.meta.url));

function defaultConfigPath(): string | undefined {
  for (const name of ['default.yaml', 'default.yml', 'default.json']) {
    const candidate = path.join(CONFIG_DIR, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}. Set IOC_CONFIG to an existing file.`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : (parseYaml(text) ?? {});
  } catch (err) {
    throw new ConfigError(`Config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

function setPath(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function envValue(name: string, raw: string, type: 'int' | 'number' | 'string' | 'bool'): unknown {
  if (type === 'string') return raw;
  if (type === 'bool') {
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    throw new ConfigError(`${name}="${raw}" is not a boolean: use 1 or 0`);
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (type === 'int' && !Number.isInteger(n))) {
    throw new ConfigError(`${name}="${raw}" is not ${type === 'int' ? 'an integer' : 'a number'}`);
  }
  return n;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Formats schema issues as "key.path: message" lines. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      const known = issue.code === 'unrecognized_keys' ? ' (check the spelling; config/schema.ts lists every key)' : '';
      return `  ${where}: ${issue.message}${known}`;
    })
    .join('\n');
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Config object merged over the file (tests use this instead of a file). */
  overrides?: Record<string, unknown>;
  /** Skip reading any config file. */
  noFile?: boolean;
}

/** Builds the frozen Config: file (IOC_CONFIG or config/default.*), then overrides, then IOC_* variables. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.noFile ? undefined : (env.IOC_CONFIG ?? defaultConfigPath());
  const raw = file ? readConfigFile(file) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`Config file ${file ?? ''} must hold an object of settings`);
  }
  const merged = structuredClone({ ...(raw as Record<string, unknown>) });
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    const current = merged[key];
    merged[key] =
      typeof current === 'object' && current !== null && !Array.isArray(current) && typeof value === 'object' && value !== null && !Array.isArray(value)
        ? { ...current, ...value }
        : value;
  }
  for (const [name, spec] of Object.entries(ENV_OVERRIDES)) {
    const rawValue = env[name];
    if (rawValue === undefined || rawValue === '') continue;
    setPath(merged, spec.path, envValue(name, rawValue, spec.type));
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(`Invalid configuration${file ? ` (${file} + IOC_* variables)` : ''}:\n${formatIssues(result.error)}`);
  }
  const config = result.data;
  if (config.map.zonesFile) {
    try {
      // Alerts, KPIs and data quality group by these zones, as by zones written in the config.
      // A path written in the config file is relative to that file, so `npm start` from anywhere finds the demo wards.
      const base = file !== undefined && !env.IOC_MAP_ZONES_FILE ? path.dirname(file) : process.cwd();
      config.map.zones = [...config.map.zones, ...readZonesFile(path.resolve(base, config.map.zonesFile))];
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  // Simulator defaults on only for the self-contained embedded setup (DESIGN: configuration table).
  config.simulate ??= config.mqtt.url === undefined;
  return deepFreeze(config);
}
