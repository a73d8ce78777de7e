// Where a command finds the running gateway: --gateway, else the environment as `proviso start`
// reads it (PROVISO_PUBLIC_URL, else HOST/PORT), else the address the running `start` on the
// same data folder recorded, else the default http://127.0.0.1:4100.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../gateway/config.ts';

const FILE = 'gateway-url';

export interface GatewayLocation {
  url: string;
  /** Where the URL came from, to print beside it. */
  from: string;
}

/** Called by `proviso start` once it listens; removed again when it stops. */
export function recordGatewayUrl(dataDir: string, url: string): () => void {
  const file = join(dataDir, FILE);
  writeFileSync(file, `${url}\n`);
  return () => rmSync(file, { force: true });
}

export function gatewayLocation(
  flag: string | undefined,
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = process.env,
): GatewayLocation {
  if (flag) return { url: flag.replace(/\/+$/, ''), from: '--gateway' };
  if (config.publicUrl) return { url: config.publicUrl, from: 'PROVISO_PUBLIC_URL' };
  if (env['PORT'] || env['HOST']) {
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`, from: 'HOST/PORT' };
  }
  const file = join(config.dataDir, FILE);
  try {
    const recorded = readFileSync(file, 'utf8').trim();
    if (/^https?:\/\/[^/\s]+$/.test(recorded)) return { url: recorded, from: `the running start (${file})` };
  } catch {
    // No start recorded on this data folder: the default address.
  }
  return { url: `http://127.0.0.1:${config.port}`, from: 'the default address' };
}
