// The cost of one release, step by step, measured inside the gateway's process on a warm
// instance (bench/release.ts calls it in its child before the load): each step run alone,
// one at a time, mean wall µs over ROUNDS. Wall time, not CPU: a database step is a round
// trip. The steps are the public calls the release path makes, so the breakdown holds
// before and after changes inside them.
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AccessGrant } from '../src/access/index.ts';
import { DpopVerifier } from '../src/consent/dpop.ts';
import { toOBBalance } from '../src/gateway/openbanking/mapping.ts';
import type { RunningGateway } from '../src/gateway/runtime.ts';
import { bankSealers } from '../src/gateway/sealers.ts';
import { projectAll } from '../src/policy/index.ts';
import type { Linked } from '../test/support/consent.ts';

const ROUNDS = Number(process.env['BENCH_STEP_ROUNDS'] ?? 300);

export type StepCosts = Record<string, number>;

async function mean(rounds: number, step: (i: number) => unknown): Promise<number> {
  const warm = Math.min(50, rounds);
  for (let i = 0; i < warm; i++) await step(i);
  const start = performance.now();
  for (let i = warm; i < warm + rounds; i++) await step(i); // each call its own index (fresh proofs)
  return Number((((performance.now() - start) * 1000) / rounds).toFixed(1));
}

export async function stepCosts(gw: RunningGateway, linked: Linked, balancesUrl: string): Promise<StepCosts> {
  const { accessToken, dpopKeys } = linked.link;
  const path = new URL(balancesUrl).pathname;
  const jwk = await (await import('jose')).exportJWK(dpopKeys.publicKey);
  const ath = createHash('sha256').update(accessToken).digest('base64url');
  const proofs = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++)
      out.push(
        await new SignJWT({ htm: 'GET', htu: balancesUrl, ath, jti: randomUUID() })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
          .setIssuedAt()
          .sign(dpopKeys.privateKey),
      );
    return out;
  };
  const access = gw.consent.access;
  const request = (proof: string) => ({
    bankId: 'northwind',
    method: 'GET',
    url: path,
    headers: {
      authorization: `DPoP ${accessToken}`,
      dpop: proof,
      'x-proviso-purpose': 'balance_inquiry',
    } as Record<string, string>,
  });
  const n = ROUNDS + 50;
  const verifier = new DpopVerifier(gw.database);
  const forDpop = await proofs(n);
  const dpop = await mean(ROUNDS, (i) => verifier.verify(forDpop[i]!, 'GET', balancesUrl, accessToken));
  const forAuth = await proofs(n);
  let grant: AccessGrant | undefined;
  // As the Open Banking route asks (a tree before the deferral ignores the option and
  // writes the replay record here).
  const authenticate = await mean(ROUNDS, async (i) => {
    grant = await access.resolve(request(forAuth[i]!), { deferReplay: true });
  });
  const accountId = linked.picked[0]!;
  const cedar = await mean(ROUNDS, () => access.authorize(grant!, { cluster: 'balances', accountId }));
  const core = gw.core('northwind');
  const read = await mean(ROUNDS, async () => {
    const account = await core.account(accountId);
    return core.balances(account!.id);
  });
  const balancesOnly = await mean(ROUNDS, () => core.balances(accountId));
  const balances = (await core.balances(accountId)).map(toOBBalance);
  const projection = await mean(ROUNDS, () => projectAll('balance_inquiry', 'balance', balances));
  const released = Buffer.from(JSON.stringify({ Data: { Balance: balances } }));
  const event = {
    bankId: 'northwind',
    customerId: grant!.customerId,
    pairwiseId: grant!.subject ?? grant!.customerId,
    consentId: grant!.grantId,
    platform: grant!.platform ?? '',
    kind: 'data.access' as const,
    purpose: 'balance_inquiry',
    clusters: ['balances'],
    released,
  };
  // Each release carries its proof's replay record, as the route forwards it (ignored before).
  const withReplay = () => ({
    ...event,
    replay: { jkt: 'bench', jti: randomUUID(), expiresAt: new Date(Date.now() + 125_000) },
  });
  const logAlone = await mean(Math.min(ROUNDS, 100), () => gw.audit.record(withReplay()));
  const concurrent = 32;
  const logShared = await mean(Math.min(ROUNDS, 100), () =>
    Promise.all(Array.from({ length: concurrent }, () => gw.audit.record(withReplay()))),
  );
  const sealer = await bankSealers(gw.keyStore)('northwind');
  const consent = (await gw.consent.store.get(grant!.grantId))!;
  const seal = await mean(ROUNDS, () =>
    sealer.seal({
      recipientPublicKey: consent.deviceKey,
      consentCommitment: consent.id,
      purpose: 'balance_inquiry',
      type: 'balance',
      log: 1,
      payload: { balances },
    }),
  );
  return {
    'DPoP proof check (node:crypto, cached key)': dpop,
    'token + consent lookup, replay record, subject (resolve − DPoP)': Number(
      (authenticate - dpop).toFixed(1),
    ),
    'Cedar decision (authorize)': cedar,
    'core read (account + balances)': read,
    'core read, balances only (the route once the owner is known)': balancesOnly,
    'projection to the purpose': projection,
    'audit row + log entry, one alone (includes the 2 ms batch wait)': logAlone,
    [`audit row + log entry, per release with ${concurrent} in flight`]: Number(
      (logShared / concurrent).toFixed(1),
    ),
    'seal + sign to the device': seal,
  };
}
