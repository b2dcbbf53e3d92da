import type { Rule } from '../../contract/index.js';
import { compileCondition, type CompiledCondition, type Side } from './conditions/index.js';

/*
 * Per-entity state layout. Each entity has one Float64Array holding, for every enabled rule of its
 * domain, a header [flags, lastTs, since] followed by the condition's own state. Rules reading the
 * same field sit next to each other, so the rules one observation wakes touch a few adjacent cache
 * lines of one buffer, and nothing is allocated.
 */
export const HEADER = 3;
export const FLAGS = 0;
export const LAST_TS = 1;
export const SINCE = 2;
/** The (rule, entity) has state. */
export const HAS_STATE = 1;
export const HOLDING = 2;
export const FIRING = 4;
/** Restored firing without data yet: not cleared until the condition can be judged again. */
export const RESTORED = 8;

/** What the engine knows of one entity: its rule states, last tags and position, and any string values. */
export interface EntityRecord extends Side {
  buf: Float64Array;
  tags: Record<string, string> | undefined;
  /** Last known position (NaN until one is seen) and the timestamp it came with. */
  lat: number;
  lon: number;
  positionTs: number;
}

export interface CompiledRule {
  rule: Rule;
  /** The rule's definition as JSON: an unchanged rule keeps its compiled form and state. */
  key: string;
  condition: CompiledCondition;
  forMs: number;
  ids: Set<string> | null;
  tags: [string, string][] | null;
  /** Where the rule's block starts in its domain's entity buffers; -1 before layout. */
  offset: number;
  size: number;
  /** Entities holding but not yet firing (waiting out `for`). */
  pending: Set<string>;
  /** Stamp of the last observation that visited this rule (dedup across the field index). */
  visit: number;
}

export interface DomainIndex {
  entities: Map<string, EntityRecord>;
  /** Doubles per entity buffer. */
  width: number;
  /** Enabled rules in layout order. */
  rules: CompiledRule[];
  byField: Map<string, CompiledRule[]>;
  position: CompiledRule[];
  any: CompiledRule[];
}

/** Compiles a rule; its offset is set by `buildIndex`. */
export function compileRule(rule: Rule, key: string): CompiledRule {
  const tags = rule.match?.tags ? Object.entries(rule.match.tags) : [];
  const condition = compileCondition(rule.condition);
  return {
    rule,
    key,
    condition,
    forMs: rule.for ?? 0,
    ids: rule.match?.ids ? new Set(rule.match.ids) : null,
    tags: tags.length > 0 ? tags : null,
    offset: -1,
    size: HEADER + condition.width,
    pending: new Set(),
    visit: 0,
  };
}

/**
 * Domain → field → rules over the enabled rules, with a fresh layout per domain. Entity records
 * persist: when a domain's layout changes, each buffer is rebuilt, kept rules carrying their state.
 */
export function buildIndex(
  entries: Iterable<CompiledRule>,
  previous: ReadonlyMap<string, DomainIndex>,
  entitiesOf: (domain: string) => Map<string, EntityRecord>,
): Map<string, DomainIndex> {
  const domains = new Map<string, DomainIndex>();
  for (const entry of entries) {
    if (!entry.rule.enabled) continue;
    const domain = entry.rule.domain;
    let index = domains.get(domain);
    if (index === undefined) {
      index = { entities: entitiesOf(domain), width: 0, rules: [], byField: new Map(), position: [], any: [] };
      domains.set(domain, index);
    }
    index.rules.push(entry);
    const reads = entry.condition.reads;
    if (reads.any) {
      index.any.push(entry);
      continue;
    }
    if (reads.position) index.position.push(entry);
    for (const field of reads.fields) {
      const list = index.byField.get(field);
      if (list) list.push(entry);
      else index.byField.set(field, [entry]);
    }
  }
  for (const [domain, index] of domains) {
    index.rules.sort((a, b) => layoutKey(a).localeCompare(layoutKey(b)));
    relayout(index, previous.get(domain));
  }
  return domains;
}

/** Groups rules by what wakes them: absence first, then position, then each field. */
function layoutKey(entry: CompiledRule): string {
  const reads = entry.condition.reads;
  if (reads.any) return '0';
  if (reads.position) return '1';
  return `2${reads.fields[0] ?? ''}`;
}

function relayout(index: DomainIndex, before: DomainIndex | undefined): void {
  const kept = new Set(before?.rules ?? []);
  const moves: { entry: CompiledRule; from: number }[] = [];
  let width = 0;
  for (const entry of index.rules) {
    if (kept.has(entry)) moves.push({ entry, from: entry.offset });
    entry.offset = width;
    width += entry.size;
  }
  index.width = width;
  const unchanged =
    before !== undefined && before.width === width && moves.every(({ entry, from }) => entry.offset === from);
  if (unchanged && moves.length === index.rules.length) return;
  for (const record of index.entities.values()) {
    const buf = new Float64Array(width);
    for (const { entry, from } of moves) buf.set(record.buf.subarray(from, from + entry.size), entry.offset);
    record.buf = buf;
  }
}

/** Whether the entity passes the rule's `match` (ids and tags). */
export function matches(entry: CompiledRule, id: string, tags: Record<string, string> | undefined): boolean {
  if (entry.ids !== null && !entry.ids.has(id)) return false;
  if (entry.tags === null) return true;
  if (tags === undefined) return false;
  for (const [key, value] of entry.tags) if (tags[key] !== value) return false;
  return true;
}
