// Which URLs the smoke test tries, and what counts as an answer.

/** A URL to GET and the statuses that mean it works. */
export interface UrlCheck {
  url: string;
  accept: (status: number) => boolean;
}

/** A page or document answers; a protected endpoint says 401 (it exists, it wants credentials). */
export const works = (status: number): boolean => status < 400 || status === 401;

/** null when the URL answers as accepted; otherwise why not. */
export async function answers({ url, accept }: UrlCheck): Promise<string | null> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    return accept(res.status) ? null : `HTTP ${res.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The URLs the start banner prints, as a person would try them: an issuer or a --gateway
 * argument is a base (its discovery document must answer); a webhook takes the platform's
 * POSTs only (a bare GET must be refused as a client error, not crash).
 */
export function bannerUrls(banner: string): UrlCheck[] {
  const checks = new Map<string, UrlCheck>();
  for (const m of banner.matchAll(/(\S+)\s+(https?:\/\/[^\s()'",]+)/g)) {
    const label = m[1]!;
    const raw = m[2]!.replace(/[.:;]+$/, '');
    if (raw.includes('<')) continue;
    const check: UrlCheck =
      label === 'issuer'
        ? { url: `${raw}/.well-known/openid-configuration`, accept: works }
        : label === '--gateway'
          ? { url: `${raw}/.well-known/proviso`, accept: works }
          : label === 'webhook'
            ? { url: raw, accept: (status) => status >= 400 && status < 500 }
            : { url: raw, accept: works };
    checks.set(check.url, check);
  }
  return [...checks.values()];
}
