// Who owns each account, as read from the bank core. An account never changes hands, so the
// balance and transaction reads ask the core once per account per instance instead of once
// per request (docs/performance.md, "Release path"). Bounded: cleared when full.
import type { AccessGrant } from '../../access/index.ts';
import type { BankCore } from '../../bank/index.ts';
import { forbidden } from '../../http/index.ts';

const MAX_ACCOUNTS = 100_000;
const owners = new Map<string, string>();

/**
 * The account's id if it exists, is the grant's customer's and the grant covers it; the same
 * refusal otherwise (so ids cannot be probed). The core is asked only for an account not seen yet.
 */
export async function permittedAccountId(
  core: BankCore,
  grant: AccessGrant,
  accountId: string,
): Promise<string> {
  const key = `${grant.bankId}\0${accountId}`;
  let owner = owners.get(key);
  if (owner === undefined) {
    owner = (await core.account(accountId))?.customerId;
    if (owner !== undefined) {
      if (owners.size >= MAX_ACCOUNTS) owners.clear();
      owners.set(key, owner);
    }
  }
  const covered =
    owner === grant.customerId && (grant.accountIds === null || grant.accountIds.includes(accountId));
  if (!covered)
    throw forbidden('account-not-permitted', `account '${accountId}' is not covered by this access grant`);
  return accountId;
}
