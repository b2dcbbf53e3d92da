import {
  EscalationPolicyInputSchema,
  type EscalationPolicy,
  type EscalationPolicyView,
  type Severity,
} from '../../contract/index.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { StateStore, StoredRecord } from '../state/types.js';

/** What a policy is matched against: an alert or a citizen report, reduced to what policies name. */
export interface EscalationSubject {
  kind: 'alert' | 'report';
  severity?: Severity;
  domain?: string;
  zone: string;
  ruleId?: string;
  category?: string;
}

/**
 * Escalation policies: those of the config file (replaceable through the API, never deleted) and
 * those made through the API, kept as records in the state store so every node sees the same set.
 */
export interface PolicyBook {
  list(): Promise<EscalationPolicyView[]>;
  get(id: string): Promise<EscalationPolicyView | undefined>;
  create(input: unknown): Promise<EscalationPolicyView>;
  replace(id: string, input: unknown): Promise<EscalationPolicyView>;
  remove(id: string): Promise<void>;
  /** The policy applying to a subject: the enabled matching one with the lowest priority, then id. */
  match(subject: EscalationSubject): Promise<EscalationPolicy | undefined>;
}

const MAX_POLICIES = 500;

export function matches(policy: EscalationPolicy, subject: EscalationSubject): boolean {
  const { match } = policy;
  if (!policy.enabled) return false;
  if (match.kind !== undefined && match.kind !== subject.kind) return false;
  if (match.severity !== undefined) {
    const wanted = Array.isArray(match.severity) ? match.severity : [match.severity];
    if (subject.severity === undefined || !wanted.includes(subject.severity)) return false;
  }
  if (match.domain !== undefined && match.domain !== subject.domain) return false;
  if (match.zone !== undefined && match.zone !== subject.zone) return false;
  if (match.ruleId !== undefined && match.ruleId !== subject.ruleId) return false;
  if (match.category !== undefined && match.category !== subject.category) return false;
  return true;
}

export function createPolicyBook(deps: {
  state: StateStore;
  configPolicies: readonly EscalationPolicy[];
  clock?: () => number;
}): PolicyBook {
  const { state } = deps;
  const clock = deps.clock ?? Date.now;
  const fromConfig = new Map(deps.configPolicies.map((policy) => [policy.id, policy]));

  const parse = (input: unknown, id?: string): EscalationPolicy => {
    const parsed = EscalationPolicyInputSchema.safeParse(input);
    if (!parsed.success) throw badRequest(parsed.error, 'escalation policy');
    if (id !== undefined && parsed.data.id !== id) {
      throw new HttpError(
        400,
        'bad_request',
        `escalation policy: the body's id "${parsed.data.id}" differs from the URL's "${id}"`,
      );
    }
    return parsed.data;
  };

  const stored = async (): Promise<Map<string, { record: StoredRecord; policy: EscalationPolicy }>> => {
    const records = await state.listRecords('escalation_policy', { limit: MAX_POLICIES });
    return new Map(
      records.map((record) => [record.id, { record, policy: JSON.parse(record.json) as EscalationPolicy }]),
    );
  };

  const list = async (): Promise<EscalationPolicyView[]> => {
    const api = await stored();
    const views: EscalationPolicyView[] = [];
    // A config policy replaced through the API shows the replacement, still marked as from config.
    for (const [id, policy] of fromConfig) views.push({ ...(api.get(id)?.policy ?? policy), source: 'config' });
    for (const [id, { policy }] of api) if (!fromConfig.has(id)) views.push({ ...policy, source: 'api' });
    return views.sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  };

  const write = async (policy: EscalationPolicy, existing: StoredRecord | undefined): Promise<void> => {
    const now = clock();
    const record: StoredRecord = {
      kind: 'escalation_policy',
      id: policy.id,
      version: (existing?.version ?? 0) + 1,
      at: existing?.at ?? now,
      updatedAt: now,
      open: policy.enabled,
      json: JSON.stringify(policy),
    };
    const ok =
      existing === undefined ? await state.insertRecord(record) : await state.casRecord(record, existing.version);
    if (!ok)
      throw new HttpError(
        409,
        'conflict',
        `escalation policy "${policy.id}" was changed by someone else at the same moment; reload and try again`,
      );
  };

  return {
    list,
    async get(id) {
      return (await list()).find((policy) => policy.id === id);
    },
    async create(input) {
      const policy = parse(input);
      if (fromConfig.has(policy.id) || (await state.getRecord('escalation_policy', policy.id))) {
        throw new HttpError(
          409,
          'conflict',
          `escalation policy "${policy.id}" exists; replace it with PUT /api/v1/escalation-policies/${policy.id}`,
        );
      }
      if ((await state.listRecords('escalation_policy', { limit: MAX_POLICIES })).length >= MAX_POLICIES) {
        throw new HttpError(409, 'conflict', `at most ${MAX_POLICIES} escalation policies; delete one first`);
      }
      await write(policy, undefined);
      return { ...policy, source: 'api' };
    },
    async replace(id, input) {
      const policy = parse(input, id);
      const existing = await state.getRecord('escalation_policy', id);
      if (existing === undefined && !fromConfig.has(id))
        throw new HttpError(404, 'not_found', `escalation policy "${id}" does not exist`);
      await write(policy, existing);
      return { ...policy, source: fromConfig.has(id) ? 'config' : 'api' };
    },
    async remove(id) {
      if (fromConfig.has(id)) {
        throw new HttpError(
          409,
          'conflict',
          `escalation policy "${id}" comes from the config file: replace it with enabled: false, or remove it from the file`,
        );
      }
      if (!(await state.deleteRecord('escalation_policy', id)))
        throw new HttpError(404, 'not_found', `escalation policy "${id}" does not exist`);
    },
    async match(subject) {
      return (await list()).find((policy) => matches(policy, subject));
    },
  };
}
