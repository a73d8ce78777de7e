// The release path, composed in one place. Every datum that leaves the bank (an Open Banking
// read, a bot answer, a fraud alert, a receipt) goes through these steps in this order:
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

/** Told as each step starts (metrics, tests counting that each check runs once). */
export type StepObserver = (step: StepName) => void;

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

  #enter(step: StepName): void {
    for (const observer of this.#observers) observer(step);
  }

  /**
   * The first two steps alone, for a caller that talks to the customer before it knows what
   * it will release (the bot: help texts, refusals): token + DPoP, then the live consent.
   * Pass the result as `{ kind: 'authenticated', authenticated }` to `release`.
   */
  async authenticate(caller: ReleaseCaller): Promise<Authenticated> {
    this.#enter('authenticate');
    const authenticated = await authenticateCaller(caller, this.#deps.consent, false);
    this.#enter('consent');
    return loadConsent(authenticated, this.#deps.consent);
  }

  /** Runs one release through every step; throws the first step's Problem that refuses it. */
  async release<Extra>(request: ReleaseRequest<Extra>): Promise<Released> {
    const state: ReleaseState<Extra> = { request, deps: this.#deps };
    // A caller authenticated earlier in this request has passed the first two steps already.
    const authenticated = request.caller.kind === 'authenticated' ? request.caller.authenticated : undefined;
    if (authenticated) state.authenticated = authenticated;
    for (const step of this.steps) {
      if (authenticated && AUTHENTICATION_STEPS.has(step.name)) continue;
      this.#enter(step.name);
      await step.run(state as ReleaseState);
    }
    return {
      payload: state.payload ?? null,
      bytes: state.bytes ?? null,
      logIndex: state.logIndex!,
      ...(state.envelope !== undefined ? { envelope: state.envelope } : {}),
      authenticated: state.authenticated!,
    };
  }
}
