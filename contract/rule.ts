import { z } from 'zod';
import { DurationSchema } from './duration.js';
import { DomainSchema, EntityIdSchema } from './observation.js';

export const SeveritySchema = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof SeveritySchema>;

export const ComparisonOpSchema = z.enum(['>', '>=', '<', '<=', '==', '!=']);
export type ComparisonOp = z.infer<typeof ComparisonOpSchema>;

const PositionSchema = z.tuple([z.number(), z.number()]).rest(z.number());
const LinearRingSchema = z.array(PositionSchema).min(4, 'a polygon ring needs at least 4 positions');
export const GeoPolygonSchema = z.object({
  type: z.literal('Polygon'),
  coordinates: z.array(LinearRingSchema).min(1),
});
export const GeoMultiPolygonSchema = z.object({
  type: z.literal('MultiPolygon'),
  coordinates: z.array(z.array(LinearRingSchema).min(1)).min(1),
});
export const GeoAreaSchema = z.discriminatedUnion('type', [GeoPolygonSchema, GeoMultiPolygonSchema]);
export type GeoArea = z.infer<typeof GeoAreaSchema>;

export const ThresholdConditionSchema = z.strictObject({
  field: z.string().min(1),
  op: ComparisonOpSchema,
  value: z.union([z.number(), z.boolean(), z.string()]),
  clear: z.number().optional(),
});
export const RateConditionSchema = z.strictObject({
  rate: z.strictObject({ field: z.string().min(1), per: DurationSchema }),
  op: ComparisonOpSchema,
  value: z.number(),
});
export const AbsentConditionSchema = z.strictObject({ absent: DurationSchema });
export const ZoneConditionSchema = z.strictObject({
  zone: GeoAreaSchema,
  on: z.enum(['enter', 'exit', 'inside']),
});

export type ThresholdCondition = z.infer<typeof ThresholdConditionSchema>;
export type RateCondition = z.infer<typeof RateConditionSchema>;
export type AbsentCondition = z.infer<typeof AbsentConditionSchema>;
export type ZoneCondition = z.infer<typeof ZoneConditionSchema>;
export type Condition =
  | ThresholdCondition
  | RateCondition
  | AbsentCondition
  | ZoneCondition
  | { all: Condition[] }
  | { any: Condition[] };

/** A rule condition (Alert rules v1): threshold, rate, absent, zone, or an all/any composite. */
export const ConditionSchema: z.ZodType<Condition, unknown> = z.lazy(() =>
  z.union([
    ThresholdConditionSchema,
    RateConditionSchema,
    AbsentConditionSchema,
    ZoneConditionSchema,
    z.strictObject({ all: z.array(ConditionSchema).min(1) }),
    z.strictObject({ any: z.array(ConditionSchema).min(1) }),
  ]),
);

export const RULE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A rule as written by an operator or in the config file. */
export const RuleInputSchema = z.strictObject({
  id: z.string().regex(RULE_ID_PATTERN, 'rule id must match [A-Za-z0-9_.:-]{1,128}').optional(),
  name: z.string().min(1).max(200),
  domain: DomainSchema,
  match: z
    .strictObject({
      ids: z.array(EntityIdSchema).optional(),
      tags: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  condition: ConditionSchema,
  for: DurationSchema.optional(),
  severity: SeveritySchema,
  enabled: z.boolean().optional(),
  escalateAfter: DurationSchema.optional(),
});
export type RuleInput = z.input<typeof RuleInputSchema>;
export type ParsedRuleInput = z.output<typeof RuleInputSchema>;

/** A stored rule: id assigned, durations in ms. */
export type Rule = Omit<ParsedRuleInput, 'id' | 'enabled'> & { id: string; enabled: boolean };

/**
 * Where a rule comes from: `config` (the config file or the built-in defaults: it can be replaced or
 * disabled, not deleted) or `api` (made through the API or the console: it can be deleted).
 */
export type RuleSource = 'config' | 'api';

/** A rule as `GET /rules` lists it. */
export type RuleView = Rule & { source: RuleSource };

/** One alert a backtest would have opened. */
export interface BacktestAlert {
  entityId: string;
  startedAt: number;
  /** Null when the condition still held at the end of the range. */
  endedAt: number | null;
  value: number | boolean | string | null;
}

/** `POST /rules/<id>/backtest`: what the rule would have done over [from, to]. */
export interface BacktestResult {
  ruleId: string;
  from: number;
  to: number;
  observations: number;
  /** At most the server's listing limit; `count` counts them all. */
  alerts: BacktestAlert[];
  count: number;
}
