/** @module test/chaos/lib/experiment — runs one experiment in its own scope, records its figures, then fails on any problem. */
import { expect } from 'vitest';
import { recordResult, type ExperimentResult } from './report.js';
import { createScope, type Scope } from './scope.js';

export type Figures = Omit<ExperimentResult, 'group' | 'experiment' | 'durationSeconds'>;

/**
 * Runs `body` with a fresh scope and a figures object it fills in. The figures are recorded even when
 * the body throws (the error becomes a problem); the scope is always closed; then the test fails when
 * any problem was found, listing them all.
 */
export async function runExperiment(
  group: ExperimentResult['group'],
  experiment: string,
  body: (scope: Scope, figures: Figures) => Promise<void>,
): Promise<void> {
  const scope = createScope();
  const figures: Figures = { notes: '', problems: [] };
  const started = Date.now();
  try {
    await body(scope, figures);
  } catch (error) {
    figures.problems.push(`stopped early: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await scope.close();
    recordResult({
      group,
      experiment,
      ...figures,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    });
  }
  expect(figures.problems).toEqual([]);
}

/** Adds `problem` unless `ok`. */
export function check(figures: Figures, ok: boolean, problem: string): void {
  if (!ok) figures.problems.push(problem);
}
