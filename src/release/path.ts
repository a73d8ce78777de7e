// The release path, composed in one place. Every datum that leaves the bank (an Open Banking
// read, a bot answer, a fraud alert, a receipt, a funds answer, a merchant's payment or refund
// confirmation) goes through these steps in this order (seal signs instead for a merchant):
//
//   authenticate → consent → decide → read → project → log → seal → answer
//
// Each step is one file under steps/ with a header saying what it enforces and the problem it
// raises (in the manner of oidc-provider's lib/actions/authorization/). A step that throws
// stops the release: a denial happens before the core is read, and nothing is logged or
// sealed after a failure.
import { authenticate, authenticateCaller } from './steps/authenticate.ts';
import { consent, loadConsent } from './steps/consent.ts';
import { decide } from './steps/decide.ts';
import { log } from './steps/log.ts';
import { project } from './steps/project.ts';
import { read } from './steps/read.ts';
import { seal } from './steps/seal.ts';
import type {
  Authenticated,
  ReleaseCaller,
  ReleaseDependencies,
  Released,
  ReleaseRequest,
  ReleaseState,
  ReleaseStep,
  StepName,
} from './types.ts';

/** The steps of a release, in order. */
export const RELEASE_STEPS: readonly ReleaseStep[] = [
  authenticate,
  consent,
  decide,
  read,
  project,
  log,
  seal,
];

/** The steps `authenticate()` runs, skipped by `release()` for an authenticated caller. */
const AUTHENTICATION_STEPS: ReadonlySet<StepName> = new Set(['authenticate', 'consent']);

/**
 * Told as each step ends, passed or refused, with its duration in microseconds (the per-step
 * cost breakdown of a release; tests counting that each check runs once).
 */
export type StepObserver = (step: StepName, micros: number) => void;

export class ReleasePath {
  readonly steps: readonly ReleaseStep[] = RELEASE_STEPS;
  readonly #deps: ReleaseDependencies;
  readonly #observers = new Set<StepObserver>();

  constructor(deps: ReleaseDependencies) {
    this.#deps = deps;
  }

  /** Adds an observer of the steps; returns the function that removes it. */
  observe(observer: StepObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Runs one step, telling the observers when it ends. */
  async #run<T>(step: StepName, body: () => Promise<T>): Promise<T> {
    if (this.#observers.size === 0) return body();
    const start = process.hrtime.bigint();
    try {
      return await body();
    } finally {
      const micros = Number(process.hrtime.bigint() - start) / 1000;
      for (const observer of this.#observers) observer(step, micros);
    }
  }

  /**
   * The first two steps alone, for a caller that talks to the customer before it knows what
   * it will release (the bot: help texts, refusals): token + DPoP, then the live consent.
   * Pass the result as `{ kind: 'authenticated', authenticated }` to `release`.
   */
  async authenticate(caller: ReleaseCaller): Promise<Authenticated> {
    // A merchant's payment consent is loaded by the consent step of release() (it needs the bank).
    if (caller.kind === 'merchant') throw new Error('a merchant caller is released with release()');
    const authenticated = await this.#run('authenticate', () =>
      authenticateCaller(caller, this.#deps.consent, false),
    );
    return this.#run('consent', () => loadConsent(authenticated, this.#deps.consent));
  }

  /** Runs one release through every step; throws the first step's Problem that refuses it. */
  async release<Extra>(request: ReleaseRequest<Extra>): Promise<Released> {
    const state: ReleaseState<Extra> = { request, deps: this.#deps };
    // A caller authenticated earlier in this request has passed the first two steps already.
    const authenticated = request.caller.kind === 'authenticated' ? request.caller.authenticated : undefined;
    if (authenticated) state.authenticated = authenticated;
    for (const step of this.steps) {
      if (authenticated && AUTHENTICATION_STEPS.has(step.name)) continue;
      await this.#run(step.name, () => step.run(state as ReleaseState));
    }
    return {
      payload: state.payload ?? null,
      bytes: state.bytes ?? null,
      logIndex: state.logIndex!,
      ...(state.envelope !== undefined ? { envelope: state.envelope } : {}),
      ...(state.signed !== undefined ? { signed: state.signed } : {}),
      authenticated: state.authenticated!,
    };
  }
}
