/** @module test/chaos/global-setup — clears the previous results, and after the run prints them and rewrites docs/reliability.md. */
import { readResults, resetResults, resultsTable, SMOKE, writeReliabilityDoc } from './lib/report.js';

export default function setup(): () => Promise<void> {
  const started = Date.now();
  resetResults();
  return async () => {
    const results = readResults();
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `\nchaos: ${results.length} experiments in ${Math.round(seconds)} s\n${resultsTable(results)}\n`,
    );
    // Only a full run rewrites the document: a smoke run or a filtered run would drop rows.
    if (!SMOKE && new Set(results.map((r) => r.group)).size === 4) {
      await writeReliabilityDoc(results, seconds);
      console.log('chaos: docs/reliability.md rewritten');
    }
  };
}
