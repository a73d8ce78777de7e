// Summarises a V8 CPU profile (`node --cpu-prof`): self time by where the code lives (a
// package under node_modules, a context under src/, a part of node itself, GC, idle) and the
// functions with the most self time. Hand-written because the question is one table, not a
// flame graph: "which share of the busy CPU does each layer of the release path take".
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  wallMs: number;
  /** Time not idle, ms. */
  busyMs: number;
  /** Share of busy time by layer, highest first (percent). */
  layers: { layer: string; percent: number }[];
  /** Functions with the most self time (percent of busy). */
  functions: { fn: string; percent: number }[];
}

/** Where a frame's code lives, as one short name. */
export function layerOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(src|bench|test)\/([^/]+)/.exec(url);
  if (src) return src[1] === 'src' ? `src/${src[2]}` : src[1]!;
  const internal = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (internal) return `node:${internal[1]!.replace(/\.js$/, '')}`;
  return url;
}

export function summariseProfile(path: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const layers = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    const layer = layerOf(frame.url, frame.functionName);
    // Idle, and the profiler's own stop call (it serialises the profile at the window's end).
    if (layer === '(idle)' || layer === 'node:inspector') continue;
    busy += micros;
    layers.set(layer, (layers.get(layer) ?? 0) + micros);
    const file = frame.url.split('/').slice(-1)[0] ?? '';
    const fn = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''} [${layer}]`;
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const pct = (m: number) => Number(((100 * m) / Math.max(1, busy)).toFixed(1));
  return {
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busy / 1000),
    layers: [...layers]
      .sort((a, b) => b[1] - a[1])
      .map(([layer, m]) => ({ layer, percent: pct(m) }))
      .filter((l) => l.percent >= 0.5),
    functions: [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, m]) => ({ fn, percent: pct(m) })),
  };
}

export function formatSummary(title: string, s: ProfileSummary): string {
  const lines = [`${title}: busy ${s.busyMs} ms of ${s.wallMs} ms wall`];
  for (const l of s.layers) lines.push(`  ${String(l.percent).padStart(5)} %  ${l.layer}`);
  lines.push('  top functions (self time):');
  for (const f of s.functions) lines.push(`  ${String(f.percent).padStart(5)} %  ${f.fn}`);
  return lines.join('\n');
}
