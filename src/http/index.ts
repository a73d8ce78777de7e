export { createHttpApp, type HttpAppOptions, loggerOptions, REDACTED_PATHS } from './app.ts';
export { type BankScopeOptions, bankIdParam, bankParams, bankScope } from './bank-scope.ts';
export { constantTimeEqual } from './constant-time.ts';
export { installProblemHandlers, sendProblem, toProblem, writeClientErrorProblem } from './errors.ts';
export { type SafeErrorFields, safeError, safeErrorFields } from './log-safety.ts';
export type { Observability, ReadinessCheck } from './observability.ts';
export {
  badRequest,
  forbidden,
  notFound,
  PROBLEM_CONTENT_TYPE,
  Problem,
  type ProblemDocument,
  problemSchema,
  problemType,
  unauthorized,
} from './problem.ts';
export { noQuery, problemResponses } from './schemas.ts';
export { installTextGuard, unstorableTextAt, unstorableTextProblem } from './text-guard.ts';
