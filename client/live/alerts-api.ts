import type { Alert } from '../../contract/alert.js';
import type { ErrorBody } from '../../contract/api.js';
import type { BacktestResult, RuleInput, RuleView } from '../../contract/rule.js';

/** A REST failure as the server put it: status, `error.code` and its message (shown verbatim to the operator). */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

async function failure(response: Response): Promise<ApiFailure> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error) return new ApiFailure(response.status, body.error.code, body.error.message, body.error.issues);
  } catch {
    // Not JSON (a proxy's error page): fall through to the status line.
  }
  return new ApiFailure(response.status, 'http', `HTTP ${response.status} ${response.statusText}`.trim());
}

async function call<T>(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiFailure(0, 'network', (err as Error).message);
  }
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Every open alert (firing, acknowledged, snoozed). */
export async function fetchOpenAlerts(): Promise<Alert[]> {
  return (await call<{ alerts: Alert[] }>('GET', '/alerts?state=firing,acknowledged,snoozed&limit=10000')).alerts;
}

export type AlertAction =
  | { kind: 'ack'; note?: string }
  | { kind: 'resolve'; note?: string }
  | { kind: 'assign'; assignee: string }
  | { kind: 'snooze'; for: string }
  | { kind: 'snooze'; until: number }
  | { kind: 'note'; note: string };

/** Runs a lifecycle action; the answer is the alert after it (409 `conflict` for an illegal move). */
export function alertAction(id: string, action: AlertAction): Promise<Alert> {
  const { kind, ...body } = action;
  return call<Alert>('POST', `/alerts/${encodeURIComponent(id)}/${kind}`, body);
}

/** All rules, config ones included. */
export async function fetchRules(): Promise<RuleView[]> {
  return (await call<{ rules: RuleView[] }>('GET', '/rules')).rules;
}

/** Creates a rule (no id) or replaces one (with id); 400 names the bad key. */
export function saveRule(rule: RuleInput, existingId?: string): Promise<RuleView> {
  return existingId === undefined
    ? call<RuleView>('POST', '/rules', rule)
    : call<RuleView>('PUT', `/rules/${encodeURIComponent(existingId)}`, rule);
}

/** Deletes an API-created rule (config rules answer 409). */
export function deleteRule(id: string): Promise<void> {
  return call<void>('DELETE', `/rules/${encodeURIComponent(id)}`);
}

/** Replays [from, to] through the rule, reporting progress from the NDJSON stream; resolves with the result. */
export async function backtest(
  id: string,
  range: { from: number; to: number },
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<BacktestResult> {
  const query = new URLSearchParams({ from: String(range.from), to: String(range.to), stream: '1' });
  const response = await fetch(`/api/v1/rules/${encodeURIComponent(id)}/backtest?${query.toString()}`, {
    method: 'POST',
    signal: signal ?? null,
  });
  if (!response.ok || !response.body) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let last: unknown;
  for (;;) {
    const { done, value } = await reader.read();
    if (value !== undefined) buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    if (done && buffered.trim() !== '') lines.push(buffered);
    for (const line of lines) {
      if (line.trim() === '') continue;
      const parsed = JSON.parse(line) as { progress?: number } & Partial<ErrorBody>;
      if (typeof parsed.progress === 'number') onProgress(parsed.progress);
      else last = parsed;
    }
    if (done) break;
  }
  const result = last as (Partial<ErrorBody> & Partial<BacktestResult>) | undefined;
  if (result?.error) throw new ApiFailure(200, result.error.code, result.error.message);
  if (result?.count === undefined) throw new ApiFailure(200, 'internal', 'the backtest ended without a result');
  onProgress(1);
  return result as BacktestResult;
}
