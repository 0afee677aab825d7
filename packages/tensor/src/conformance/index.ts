/**
 * The cross-backend conformance suite: every op the model and trainer use, values and gradients,
 * compared with the `cpu` backend. Run it on any backend (tests, the browser app, a user's machine).
 */
export { autocastCases, autocastTolerance } from './autocast-cases.js';
export { type CaseInput, type ConformanceCase, caseInputs } from './case.js';
export { conformanceCases } from './cases.js';
export {
  type RoundingCheck,
  roundingChecks,
  roundingMismatches,
  roundingReference,
  roundingTestValues,
} from './rounding-check.js';
export {
  type CaseComparison,
  type CaseOutput,
  type Comparison,
  compareArrays,
  compareCase,
  defaultTolerance,
  runCase,
  runCases,
  type Tolerance,
} from './run.js';
