/** One series of an InfluxQL answer. */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** One statement's answer; `series` is absent when nothing matched. */
export interface InfluxResult {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

interface QueryBody {
  results?: InfluxResult[];
  error?: string;
}

export interface InfluxHttpOptions {
  url: string;
  db: string;
  /** InfluxDB 2.x/3.x token, sent as `Authorization: Token <t>`. */
  token?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** The answer to a `/write`: status and body text (the error message on 4xx/5xx). */
export interface WriteResponse {
  status: number;
  body: string;
}

/** A thin client for the v1-compatible HTTP API (`/ping`, `/write`, `/query`) served by InfluxDB 1.x, 2.x and 3.x. */
export class InfluxHttp {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(readonly options: InfluxHttpOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.headers = options.token ? { Authorization: `Token ${options.token}` } : {};
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Throws unless `/ping` answers 2xx. */
  async ping(): Promise<void> {
    const res = await fetch(`${this.base}/ping`, { headers: this.headers, signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`InfluxDB /ping answered ${res.status}`);
  }

  /** POSTs newline-separated lines (ms precision); network errors reject, HTTP errors resolve with their status. */
  async write(body: string): Promise<WriteResponse> {
    const params = new URLSearchParams({ db: this.options.db, precision: 'ms' });
    const res = await fetch(`${this.base}/write?${params.toString()}`, {
      method: 'POST',
      headers: { ...this.headers, 'Content-Type': 'text/plain; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  }

  /** Runs InfluxQL statements (`;`-separated) with ms epochs; throws on any statement error. */
  async query(q: string, method: 'GET' | 'POST' = 'GET'): Promise<InfluxResult[]> {
    const params = new URLSearchParams({ db: this.options.db, epoch: 'ms', q });
    const init: RequestInit = { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) };
    // Statements that change the database (CREATE DATABASE) must be POSTed in 1.x.
    const res =
      method === 'POST'
        ? await fetch(`${this.base}/query`, { ...init, method, body: params })
        : await fetch(`${this.base}/query?${params.toString()}`, init);
    const text = await res.text();
    let body: QueryBody;
    try {
      body = JSON.parse(text) as QueryBody;
    } catch {
      throw new Error(`InfluxDB /query answered ${res.status}: ${text.slice(0, 300)}`);
    }
    if (body.error !== undefined) throw new Error(`InfluxDB query failed (${res.status}): ${body.error}`);
    if (!res.ok) throw new Error(`InfluxDB /query answered ${res.status}`);
    const results = body.results ?? [];
    const failed = results.find((r) => r.error !== undefined);
    if (failed) throw new Error(`InfluxDB query failed: ${failed.error}`);
    return results;
  }
}

/** An InfluxQL identifier in double quotes. */
export function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An InfluxQL string literal in single quotes. */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An InfluxQL time literal for ms since epoch. */
export function msTime(ms: number): string {
  return `${Math.trunc(ms)}ms`;
}

/** Rows of a series as objects keyed by column name. */
export function rowsOf(series: InfluxSeries): Record<string, unknown>[] {
  return series.values.map((values) => {
    const row: Record<string, unknown> = {};
    series.columns.forEach((column, i) => {
      row[column] = values[i];
    });
    return row;
  });
}
