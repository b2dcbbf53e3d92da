import type { Alert } from '../../contract/alert.js';
import type { ErrorBody } from '../../contract/api.js';
import type { BacktestResult, RuleInput, RuleView } from '../../contract/rule.js';
import type { RuleName, RuleNamesResponse } from '../../contract/wall.js';
import { ApiFailure, call, request } from './http.js';

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
  return call<Alert>('POST', `/alerts/${encodeURIComponent(id)}/${kind}`, { body });
}

/** Every rule's name and watched field: what labelling alerts needs, readable by whoever reads alerts (a wall too). */
export async function fetchRuleNames(): Promise<RuleName[]> {
  return (await call<RuleNamesResponse>('GET', '/rule-names')).rules;
}

/** All rules, config ones included. */
export async function fetchRules(): Promise<RuleView[]> {
  return (await call<{ rules: RuleView[] }>('GET', '/rules')).rules;
}

/** Creates a rule (no id) or replaces one (with id); 400 names the bad key. */
export function saveRule(rule: RuleInput, existingId?: string): Promise<RuleView> {
  return existingId === undefined
    ? call<RuleView>('POST', '/rules', { body: rule })
    : call<RuleView>('PUT', `/rules/${encodeURIComponent(existingId)}`, { body: rule });
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
  const response = await request('POST', `/rules/${encodeURIComponent(id)}/backtest?${query.toString()}`, {
    timeoutMs: null,
    ...(signal ? { signal } : {}),
  });
  if (!response.body) throw new ApiFailure(response.status, 'internal', 'the backtest answer has no body');
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
