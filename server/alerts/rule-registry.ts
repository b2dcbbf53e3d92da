import type { Rule, RuleInput } from '../../contract/index.js';
import type { StateStore } from '../state/types.js';
import { AlertsError, badRequest, conflict, notFound } from './errors.js';
import { generatedRuleId, parseRule, slug } from './rules.js';

export type RuleStore = Pick<StateStore, 'saveRule' | 'deleteRule' | 'loadRules'>;

/** The rule set in memory, persisted through the store; rules from the config file are marked. */
export interface RuleRegistry {
  /** Config rules first, then stored rules (a stored rule overrides the config rule with its id). */
  load(configRules: readonly RuleInput[]): Promise<void>;
  list(): Rule[];
  get(id: string): Rule;
  find(id: string): Rule | undefined;
  /** Whether the rule comes from the config file (it cannot be deleted, only replaced or disabled). */
  fromConfig(id: string): boolean;
  create(input: unknown): Promise<Rule>;
  replace(id: string, input: unknown): Promise<{ previous: Rule; rule: Rule }>;
  remove(id: string): Promise<Rule>;
}

/** Creates the registry; every change is saved before it is visible, and rolled back if saving fails. */
export function createRuleRegistry(store: RuleStore): RuleRegistry {
  const rules = new Map<string, Rule>();
  const configIds = new Set<string>();

  const persist = async (what: string, write: () => Promise<void>, rollback: () => void) => {
    try {
      await write();
    } catch (err) {
      rollback();
      throw new AlertsError(503, 'unavailable', `could not ${what}: ${(err as Error).message}`);
    }
  };

  return {
    async load(configRules) {
      rules.clear();
      configIds.clear();
      configRules.forEach((input, index) => {
        let rule: Rule;
        try {
          // A config rule without an id gets a stable one (its name's slug), so alerts survive restarts.
          rule = parseRule(input, (name) => uniqueId(slug(name), rules));
        } catch (err) {
          throw new Error(`config rules.${index}: ${(err as Error).message}`);
        }
        rules.set(rule.id, rule);
        configIds.add(rule.id);
      });
      for (const rule of await store.loadRules()) rules.set(rule.id, rule);
    },

    list: () => [...rules.values()],

    get(id) {
      const rule = rules.get(id);
      if (rule === undefined) throw notFound('rule', id);
      return rule;
    },

    find: (id) => rules.get(id),

    fromConfig: (id) => configIds.has(id),

    async create(input) {
      const rule = parseRule(input, (name) => uniqueId(generatedRuleId(name), rules));
      if (rules.has(rule.id)) throw conflict(`rule "${rule.id}" already exists`);
      rules.set(rule.id, rule);
      await persist(
        'save the rule',
        () => store.saveRule(rule),
        () => rules.delete(rule.id),
      );
      return rule;
    },

    async replace(id, input) {
      const previous = rules.get(id);
      if (previous === undefined) throw notFound('rule', id);
      const bodyId = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
      if (bodyId !== undefined && bodyId !== id) {
        throw badRequest(`body id ${JSON.stringify(bodyId)} differs from "${id}"`, [
          { path: 'id', message: `must be "${id}" or absent` },
        ]);
      }
      const rule = parseRule(input, () => id);
      rules.set(id, rule);
      await persist(
        'save the rule',
        () => store.saveRule(rule),
        () => rules.set(id, previous),
      );
      return { previous, rule };
    },

    async remove(id) {
      const rule = rules.get(id);
      if (rule === undefined) throw notFound('rule', id);
      if (configIds.has(id)) {
        throw conflict(`rule "${id}" is defined in the config file: replace it with "enabled": false to turn it off`);
      }
      rules.delete(id);
      await persist(
        'delete the rule',
        () => store.deleteRule(id),
        () => rules.set(id, rule),
      );
      return rule;
    },
  };
}

function uniqueId(base: string, taken: ReadonlyMap<string, unknown>): string {
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}
