// The "logged" mark: was this release recorded in the bank's transparency log? The check
// (inclusion proof of the entry at header.log against a witnessed checkpoint) is wired in by
// setInclusionVerifier once the verifier is available to the device; until then every card
// says honestly that it was not checked.
export type InclusionState =
  | { state: 'unchecked'; detail: string }
  | { state: 'included'; detail: string }
  | { state: 'failed'; detail: string };

export type InclusionVerifier = (input: {
  bank: string;
  log: number;
  envelope: string;
}) => Promise<InclusionState>;

let verifier: InclusionVerifier | undefined;

export function setInclusionVerifier(v: InclusionVerifier | undefined): void {
  verifier = v;
}

export async function checkInclusion(bank: string, log: number, envelope: string): Promise<InclusionState> {
  if (!verifier) return { state: 'unchecked', detail: `Log entry #${log} not yet checked` };
  try {
    return await verifier({ bank, log, envelope });
  } catch (e) {
    return { state: 'failed', detail: `Log check failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
