/**
 * @module domain/alerts/container-rules — an organization's container rules as the engine evaluates them:
 * each glob compiled once when the rule index is built (and matched once per name however many rules share
 * it), the rules each container name matches remembered
 * (names repeat from sample to sample and from host to host, so a glob meets a name about once), and the
 * two bounds on one sample's work: ALERT_EVALUATIONS_PER_SAMPLE (rules × containers), and
 * NEW_NAME_STEPS_PER_FRAME for matching names the organization has not seen yet.
 */
import type { AlertCondition, CompiledGlob, GlobMeter } from '@hostwire/protocol';

/**
 * Glob steps (see `GlobMeter`, plus CALL_STEPS per rule and name) one metrics frame may spend matching
 * names the index does not remember: a few milliseconds of one core. Names past it are matched at the next
 * frames. Matching is linear in the name, so new names cost a frame at most this much plus the name under way
 * (500 rules × 255 characters × 8 words at worst), whatever the globs.
 */
export const NEW_NAME_STEPS_PER_FRAME = 250_000;
/** What one glob call costs beyond its steps, in steps (measured: a call is worth about four characters). */
const CALL_STEPS = 4;
/**
 * Per generation of remembered names: at most this many names and rule slots (2 bytes each; a name that
 * matches the same rules as the name before shares its slots). When one is full it becomes the old
 * generation and a fresh one starts; a name found in the old one moves over. So an organization's memory
 * stays under 1 MiB of slots, and 256 containers against 500 rules are remembered whole.
 */
const GENERATION_NAMES = 4096;
const GENERATION_SLOTS = 262_144;
const NONE = new Uint16Array(0);

export interface ContainerRule {
  id: string;
  condition: AlertCondition;
  /** The rule's container glob, compiled once. */
  glob: CompiledGlob;
}

/** The rules one container name matches, by kind: slots, ascending. */
export interface NameMatches {
  down: Uint16Array;
  metric: Uint16Array;
}

/** What a frame has left to spend on new names (NEW_NAME_STEPS_PER_FRAME at its start). */
export type MatchBudget = GlobMeter;

export interface ContainerRuleIndex<R extends ContainerRule> {
  /** The rules in their order (oldest first); a rule's slot is its position. */
  readonly rules: readonly R[];
  slotOf(ruleId: string): number | undefined;
  /**
   * The rules whose glob matches `name`: remembered, or matched now on `budget` (which it lowers);
   * undefined when the name is new and the budget is spent.
   */
  matching(name: string, budget: MatchBudget): NameMatches | undefined;
}

export function createContainerRuleIndex<R extends ContainerRule>(
  rules: readonly R[],
): ContainerRuleIndex<R> {
  const slots = new Map(rules.map((rule, slot) => [rule.id, slot]));
  // Rules often share a glob (`*`, `web-*`): each distinct pattern is matched once per new name.
  const byPattern = new Map<string, { glob: CompiledGlob; slots: number[] }>();
  rules.forEach((rule, slot) => {
    const group = byPattern.get(rule.glob.pattern);
    if (group) group.slots.push(slot);
    else byPattern.set(rule.glob.pattern, { glob: rule.glob, slots: [slot] });
  });
  const patterns = [...byPattern.values()];
  const hit = new Uint8Array(rules.length);
  let current = new Map<string, NameMatches>();
  let previous = new Map<string, NameMatches>();
  let currentSlots = 0;
  let last: NameMatches = { down: NONE, metric: NONE };

  /** The slots as an array, the one of the previous name when they are the same (shared, counted once). */
  function share(found: number[], before: Uint16Array): { slots: Uint16Array; fresh: number } {
    if (found.length === 0) return { slots: NONE, fresh: 0 };
    if (found.length === before.length && found.every((slot, i) => before[i] === slot))
      return { slots: before, fresh: 0 };
    return { slots: Uint16Array.from(found), fresh: found.length };
  }

  function keep(name: string, matches: NameMatches, size: number): void {
    if (current.size >= GENERATION_NAMES || currentSlots + size > GENERATION_SLOTS) {
      previous = current;
      current = new Map();
      currentSlots = 0;
    }
    current.set(name, matches);
    currentSlots += size;
  }

  return {
    rules,
    slotOf: (ruleId) => slots.get(ruleId),
    matching(name, budget) {
      const known = current.get(name);
      if (known) return known;
      const old = previous.get(name);
      if (old) {
        previous.delete(name);
        keep(name, old, old.down.length + old.metric.length);
        return old;
      }
      if (budget.steps <= 0) return undefined;
      const meter: GlobMeter = { steps: 0 };
      hit.fill(0);
      for (const pattern of patterns) {
        if (pattern.glob.matches(name, meter)) for (const slot of pattern.slots) hit[slot] = 1;
      }
      budget.steps -= meter.steps + CALL_STEPS * patterns.length;
      const down: number[] = [];
      const metric: number[] = [];
      for (let slot = 0; slot < rules.length; slot += 1) {
        if (hit[slot] === 0) continue;
        (rules[slot]?.condition.kind === 'container_down' ? down : metric).push(slot);
      }
      const d = share(down, last.down);
      const m = share(metric, last.metric);
      const matches = { down: d.slots, metric: m.slots };
      keep(name, matches, d.fresh + m.fresh);
      last = matches;
      return matches;
    },
  };
}

/** The rules one sample evaluates. */
export interface SamplePlan {
  /** allowed[slot] is 1 when the rule in that slot is evaluated on this sample. */
  allowed: Uint8Array;
  /** Rules that apply to the host. */
  applicable: number;
  /** Of those, the rules evaluated: the oldest ones, as many as the bound allows for this many containers. */
  evaluated: number;
  /** (rule, container) pairs left out: (applicable − evaluated) × containers. */
  skipped: number;
  /** The ids of the rules left out (the newest applicable ones). */
  skippedRuleIds: string[];
}

/**
 * Plans one sample with `containers` containers: each applicable rule costs one evaluation per container,
 * and at most `maxEvaluations` are made. Whole rules are left out (the newest first), never single
 * containers, so a rule is either evaluated on a sample or not at all.
 */
export function planSample<R extends ContainerRule>(
  index: ContainerRuleIndex<R>,
  applies: (rule: R) => boolean,
  containers: number,
  maxEvaluations: number,
): SamplePlan {
  const { rules } = index;
  const allowed = new Uint8Array(rules.length);
  const fits = containers === 0 ? rules.length : Math.floor(maxEvaluations / containers);
  let applicable = 0;
  const skippedRuleIds: string[] = [];
  for (let slot = 0; slot < rules.length; slot += 1) {
    const rule = rules[slot];
    if (!rule || !applies(rule)) continue;
    if (applicable < fits) allowed[slot] = 1;
    else skippedRuleIds.push(rule.id);
    applicable += 1;
  }
  const evaluated = Math.min(applicable, fits);
  return { allowed, applicable, evaluated, skipped: (applicable - evaluated) * containers, skippedRuleIds };
}
