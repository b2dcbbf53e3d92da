import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json';
import { isLoopbackHost } from '../net/loopback.js';
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
/**
 * The base URL without credentials, and the header that carries them: `fetch` refuses a URL with a user and
 * password in it, and a URL kept whole would carry the password into every error message. A token wins over
 * URL credentials (InfluxDB 2.x/3.x); `user:password@` becomes HTTP Basic, which InfluxDB 1.x accepts.
 */
export function endpointOf(options: Pick<InfluxHttpOptions, 'url' | 'token'>): {
  base: string;
  headers: Record<string, string>;
} {
  const url = new URL(options.url);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/+$/, '');
  if (options.token) return { base, headers: { Authorization: `Token ${options.token}` } };
  if (user !== '' || password !== '') {
    return { base, headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } };
  }
  return { base, headers: {} };
}

/** Sixteen digits in a row: the answer may hold an integer a double cannot carry exactly. */
const LONG_DIGIT_RUN = /\d{16}/;

/** lossless-json's number parser: an integer beyond ±2^53 as a bigint, every other number as usual. */
function exactNumber(text: string): number | bigint {
  return isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text);
}

export class InfluxHttp {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly agent: HttpAgent;

  constructor(readonly options: InfluxHttpOptions) {
    const { base, headers } = endpointOf(options);
    this.base = base;
    this.agent = this.base.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    this.headers = headers;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Throws unless `/ping` answers 2xx. */
  async ping(): Promise<void> {
    const res = await fetch(`${this.base}/ping`, { headers: this.headers, signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`InfluxDB /ping answered ${res.status}`);
  }

  /**
   * POSTs newline-separated lines (ms precision); network errors reject, HTTP errors resolve with their
   * status. Sent with node:http over kept-alive sockets: `fetch` would copy the body again through web
   * streams, which showed in the writer's profile (BENCHMARKS.md hot spot 6).
   */
  write(body: string): Promise<WriteResponse> {
    const params = new URLSearchParams({ db: this.options.db, precision: 'ms' });
    const payload = Buffer.from(body, 'utf8');
    const url = new URL(`${this.base}/write?${params.toString()}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<WriteResponse>((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: { ...this.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`InfluxDB /write sent no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the kept-alive connections (idle ones never hold the process open). */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Runs InfluxQL statements (`;`-separated) with ms epochs; throws on any statement error. A long statement (a
   * backfill) passes its own timeout. With `exactIntegers`, an integer beyond ±2^53 comes back as a bigint
   * instead of the nearest double (a slower parser, used only when the answer holds such a number).
   */
  async query(
    q: string,
    method: 'GET' | 'POST' = 'GET',
    timeoutMs = this.timeoutMs,
    exactIntegers = false,
  ): Promise<InfluxResult[]> {
    const params = new URLSearchParams({ db: this.options.db, epoch: 'ms', q });
    const init: RequestInit = { headers: this.headers, signal: AbortSignal.timeout(timeoutMs) };
    // Statements that change the database (CREATE DATABASE) must be POSTed in 1.x.
    const res =
      method === 'POST'
        ? await fetch(`${this.base}/query`, { ...init, method, body: params })
        : await fetch(`${this.base}/query?${params.toString()}`, init);
    const text = await res.text();
    let body: QueryBody;
    try {
      body = (
        exactIntegers && LONG_DIGIT_RUN.test(text) ? parseLossless(text, null, exactNumber) : JSON.parse(text)
      ) as QueryBody;
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

/**
 * Streams one SELECT's rows with `chunked=true`: InfluxDB answers one JSON line per chunk of at most
 * `chunkSize` rows, so a long scan is one request read as it arrives (TCP holds InfluxDB back while the
 * caller is busy). The timeout applies between chunks, not to the whole scan.
 */
export async function* queryChunked(http: InfluxHttp, q: string, chunkSize: number): AsyncGenerator<InfluxSeries> {
  const { db } = http.options;
  const { base: url, headers } = endpointOf(http.options);
  const params = new URLSearchParams({ db, epoch: 'ms', q, chunked: 'true', chunk_size: String(chunkSize) });
  const idle = new AbortController();
  const idleMs = http.options.timeoutMs ?? 30_000;
  let timer = setTimeout(() => idle.abort(new Error(`InfluxDB sent nothing for ${idleMs} ms`)), idleMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new Error(`InfluxDB sent nothing for ${idleMs} ms`)), idleMs);
  };
  // InfluxDB on this machine: compressing answers costs CPU and saves nothing.
  if (isLoopbackHost(new URL(url).hostname)) headers['Accept-Encoding'] = 'identity';
  try {
    const res = await fetch(`${url}/query?${params.toString()}`, { headers, signal: idle.signal });
    if (!res.ok || !res.body)
      throw new Error(`InfluxDB /query answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const parse = (line: Buffer): InfluxSeries[] => {
      const body = JSON.parse(line.toString('utf8')) as QueryBody;
      if (body.error !== undefined) throw new Error(`InfluxDB query failed: ${body.error}`);
      const failed = body.results?.find((r) => r.error !== undefined);
      if (failed) throw new Error(`InfluxDB query failed: ${failed.error}`);
      return body.results?.flatMap((r) => r.series ?? []) ?? [];
    };
    // A chunk's line is split over many reads: its pieces are kept as bytes and decoded once, when
    // its newline arrives (appending to a string and searching it again cost a copy per read).
    let pieces: Buffer[] = [];
    const isBlank = (line: Buffer) => line.every((byte) => byte === 0x20 || byte === 0x0d || byte === 0x09);
    for await (const bytes of res.body as AsyncIterable<Uint8Array>) {
      rearm();
      let read = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let newline = read.indexOf(0x0a);
      while (newline >= 0) {
        pieces.push(read.subarray(0, newline));
        const line = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
        pieces = [];
        if (!isBlank(line)) yield* parse(line);
        read = read.subarray(newline + 1);
        newline = read.indexOf(0x0a);
      }
      if (read.length > 0) pieces.push(read);
    }
    const rest = Buffer.concat(pieces);
    if (!isBlank(rest)) yield* parse(rest);
  } finally {
    clearTimeout(timer);
    idle.abort();
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
