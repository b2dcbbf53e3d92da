// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package/file.
// Also a command: `npx tsx bench/support/cpu-profile.ts <file.cpuprofile> [top]`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './context.js';
import { mapProfileLines } from './profile-lines.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** Self time of one function (or one place: file, package). */
export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: HotSpot[];
  /** Self time grouped by our source file or by npm package. */
  places: HotSpot[];
}

function place(url: string): string {
  if (url === '') return '(native / V8)';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = file.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = file.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (file.startsWith('node:')) return file;
  return path.relative(ROOT, file);
}

/** Reads a profile and adds up self time by function and by file/package. */
export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  // Native code (SQLite, JSON.parse, crypto) is charged to the nearest JavaScript caller's place.
  const caller = (id: number): ProfileNode | undefined => {
    let at = parent.get(id);
    for (let hops = 0; at !== undefined && hops < 50; hops++) {
      const node = byId.get(at);
      if (node && node.callFrame.url !== '') return node;
      at = parent.get(at);
    }
    return undefined;
  };
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A gap far longer than the sampling interval means the process was not running (the ingest suite stops it
  // with SIGSTOP while it queues the backlog; the host may deschedule it): charging the gap to the function on
  // the stack made a 2 s stop look like half the profile in one stream function. Such a sample counts as one interval.
  const sorted = deltas.filter((d) => d > 0).sort((a, b) => a - b);
  const interval = sorted[Math.floor(sorted.length / 2)] ?? 1000;
  const longest = Math.max(10 * interval, 10_000);
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] ?? 0;
    // timeDeltas[i] is the time before sample i; the sample's own duration is the next delta.
    const duration = deltas[i + 1] ?? deltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + (duration > longest ? interval : duration));
  }
  let total = 0;
  const functions = new Map<string, HotSpot>();
  const places = new Map<string, HotSpot>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)') continue;
    const ms = us / 1000;
    total += ms;
    const from = url === '' && !name.startsWith('(') ? caller(id) : undefined;
    const where =
      url !== ''
        ? `${place(url)}:${lineNumber + 1}`
        : from
          ? `native, called from ${from.callFrame.functionName || '(anonymous)'} ${place(from.callFrame.url)}:${from.callFrame.lineNumber + 1}`
          : '';
    const key = `${name} ${where}`;
    const f = functions.get(key) ?? { name, where, selfMs: 0, share: 0 };
    f.selfMs += ms;
    functions.set(key, f);
    const p = from ? place(from.callFrame.url) : place(url);
    const g = places.get(p) ?? { name: p, where: '', selfMs: 0, share: 0 };
    g.selfMs += ms;
    places.set(p, g);
  }
  const ranked = (map: Map<string, HotSpot>) =>
    [...map.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((h) => ({ ...h, share: total > 0 ? h.selfMs / total : 0 }));
  return { totalMs: total, functions: ranked(functions), places: ranked(places) };
}

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

/** Markdown notes (two small tables) for a profile, or a line saying there is none. */
export function profileNotes(file: string | undefined, label: string, top = 12): string[] {
  if (!file || !existsSync(file)) return [`No CPU profile was written for ${label}.`];
  const summary = summariseProfile(file, top);
  const functions = [
    '| self | function | where |',
    '|---:|---|---|',
    ...summary.functions.map((h) => `| ${pct(h.share)} | \`${h.name}\` | ${h.where} |`),
  ].join('\n');
  const places = [
    '| self | file or package |',
    '|---:|---|',
    ...summary.places.map((h) => `| ${pct(h.share)} | ${h.name} |`),
  ].join('\n');
  return [
    `CPU profile of the product, ${label}: ${summary.totalMs.toFixed(0)} ms of CPU in samples ((idle) and (program) excluded); profile ${path.relative(ROOT, file)}.`,
    functions,
    '',
    places,
  ];
}

/** Profiles `work` in this very process (for suites that drive product modules in-process) into `file`. */
export async function profileHere<T>(file: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    await mapProfileLines(session, profile);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    return result;
  } finally {
    session.disconnect();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/support/cpu-profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  for (const line of profileNotes(file, path.basename(file), Number(process.argv[3] ?? 20))) console.log(line);
}
