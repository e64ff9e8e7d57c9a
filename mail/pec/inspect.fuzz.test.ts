/**
 * Bounded fuzzing of inspectMessage: a few thousand seeded mutations (bit flips, truncations,
 * duplicated/removed lines, boundary damage, inserted garbage, line-end changes, huge headers) of
 * the real samples and of our own built messages. Every mutant must get a verdict quickly, never
 * an exception; a change inside the signed bytes of an intact message must never stay "intact".
 * The seed is fixed so a failure is reproducible; FUZZ_SEED overrides it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { sharedPecAvailable, sharedSamplesDir } from '@/lib/testing/shared-pec';
import { inspectMessage, inspectReportJson, pecKinds } from './inspect';
import { readMime } from './mime';
import { readFixtures } from './testing/inspect-fixtures';

const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
/** Mutants per corpus entry, smaller for the megabyte samples; more when only built messages exist. */
const mutantsPerSmallInput = sharedPecAvailable ? 60 : 130;
const mutantsPerLargeInput = 6;
const largeInput = 400_000;
const perMessageLimitMs = 3000;
/** Budget in CPU time of this process, so other load on the machine does not make it flaky. */
const totalCpuLimitMs = 60_000;

function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Input {
  name: string;
  raw: Buffer;
  /** Signed byte range when the original's signature is intact. */
  signed: [number, number] | null;
}

interface Mutant {
  what: string;
  raw: Buffer;
  /** True when only bytes inside the signed range were changed. */
  insideSigned: boolean;
}

type Rand = () => number;
const pick = (r: Rand, n: number): number => Math.floor(r() * n);

function lineStarts(raw: Buffer): number[] {
  const starts = [0];
  for (let i = raw.indexOf(0x0a); i >= 0 && starts.length < 200_000; i = raw.indexOf(0x0a, i + 1))
    starts.push(i + 1);
  return starts;
}

function lineAt(raw: Buffer, starts: number[], k: number): [number, number] {
  return [starts[k], k + 1 < starts.length ? starts[k + 1] : raw.length];
}

function boundaries(raw: Buffer): string[] {
  const text = raw.subarray(0, Math.min(raw.length, 2_000_000)).toString('latin1');
  return [...new Set([...text.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((m) => m[1]))];
}

const mutations: Array<(r: Rand, input: Input) => Mutant> = [
  function bitFlips(r, { raw, signed }) {
    const copy = Buffer.from(raw);
    const n = 1 + pick(r, 8);
    // Most mutants of signed messages aim at the signed part, where every change must be detected.
    const aim = signed !== null && r() < 0.7;
    let inside = signed !== null;
    for (let i = 0; i < n; i++) {
      const pos = aim && signed ? signed[0] + pick(r, signed[1] - signed[0]) : pick(r, raw.length);
      copy[pos] ^= 1 << pick(r, 8);
      if (!signed || pos < signed[0] || pos >= signed[1]) inside = false;
    }
    return { what: `${n} bit flips`, raw: copy, insideSigned: inside && !copy.equals(raw) };
  },
  function truncate(r, { raw }) {
    const at = pick(r, raw.length);
    return { what: `truncated at ${at}`, raw: raw.subarray(0, at), insideSigned: false };
  },
  function duplicateLine(r, { raw }) {
    const starts = lineStarts(raw);
    const [a, b] = lineAt(raw, starts, pick(r, starts.length));
    return {
      what: `line at ${a} duplicated`,
      raw: Buffer.concat([raw.subarray(0, b), raw.subarray(a, b), raw.subarray(b)]),
      insideSigned: false,
    };
  },
  function removeLine(r, { raw }) {
    const starts = lineStarts(raw);
    const [a, b] = lineAt(raw, starts, pick(r, starts.length));
    return {
      what: `line at ${a} removed`,
      raw: Buffer.concat([raw.subarray(0, a), raw.subarray(b)]),
      insideSigned: false,
    };
  },
  function damageBoundary(r, { raw }) {
    const list = boundaries(raw);
    if (list.length === 0)
      return { what: 'no boundary: bit flip', raw: Buffer.from(raw).fill(0x41, 0, 1), insideSigned: false };
    const needle = Buffer.from(`--${list[pick(r, list.length)]}`, 'latin1');
    const hits: number[] = [];
    for (let i = raw.indexOf(needle); i >= 0 && hits.length < 1000; i = raw.indexOf(needle, i + 1))
      hits.push(i);
    if (hits.length === 0) return { what: 'boundary unused', raw, insideSigned: false };
    const at = hits[pick(r, hits.length)];
    const end = at + needle.length;
    switch (pick(r, 4)) {
      case 0:
        return {
          what: `delimiter at ${at} deleted`,
          raw: Buffer.concat([raw.subarray(0, at), raw.subarray(end)]),
          insideSigned: false,
        };
      case 1: {
        const copy = Buffer.from(raw);
        copy[at + 2 + pick(r, needle.length - 2)] = 0x3f;
        return { what: `delimiter at ${at} corrupted`, raw: copy, insideSigned: false };
      }
      case 2:
        return {
          what: `delimiter at ${at} made closing`,
          raw: Buffer.concat([raw.subarray(0, end), Buffer.from('--'), raw.subarray(end)]),
          insideSigned: false,
        };
      default:
        return {
          what: `delimiter at ${at} repeated`,
          raw: Buffer.concat([raw.subarray(0, end), Buffer.from('\r\n'), needle, raw.subarray(end)]),
          insideSigned: false,
        };
    }
  },
  function insertGarbage(r, { raw }) {
    const at = pick(r, raw.length);
    const junk = Buffer.alloc(1 + pick(r, 64));
    for (let i = 0; i < junk.length; i++) junk[i] = pick(r, 256);
    return {
      what: `${junk.length} random bytes at ${at}`,
      raw: Buffer.concat([raw.subarray(0, at), junk, raw.subarray(at)]),
      insideSigned: false,
    };
  },
  function lineEnds(r, { raw }) {
    const text = raw.toString('latin1');
    const lf = r() < 0.5;
    return {
      what: lf ? 'CRLF to LF' : 'LF to CRLF',
      raw: Buffer.from(lf ? text.replace(/\r\n/g, '\n') : text.replace(/\r?\n/g, '\r\n'), 'latin1'),
      insideSigned: false,
    };
  },
  function hugeHeader(r, { raw }) {
    const header =
      r() < 0.5 ? `X-Junk: ${'a'.repeat(200_000)}\r\n` : 'X-Ricevuta: accettazione\r\n'.repeat(5000);
    return { what: 'huge header block', raw: Buffer.concat([Buffer.from(header), raw]), insideSigned: false };
  },
];

async function corpus(): Promise<Input[]> {
  const inputs: Input[] = [];
  const add = (name: string, raw: Buffer): void => {
    const r = inspectMessage(raw);
    let signed: [number, number] | null = null;
    if (r.signature.intact) {
      const first = readMime(raw).root.parts[0];
      const start = first.raw.byteOffset - raw.byteOffset;
      signed = [start, start + first.raw.length];
    }
    inputs.push({ name, raw, signed });
  };
  if (sharedPecAvailable) {
    for (const f of readdirSync(sharedSamplesDir)
      .filter((x) => x.endsWith('.eml'))
      .sort())
      add(f, readFileSync(path.join(sharedSamplesDir, f)));
  }
  for (const [name, raw] of (await readFixtures()).messages) add(`built ${name}`, raw);
  return inputs;
}

test('inspectMessage survives thousands of mutations with a timely verdict', async () => {
  const rand = mulberry32(seed);
  const inputs = await corpus();
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  let count = 0;
  let slowest = 0;
  let detected = 0;
  for (const input of inputs) {
    const n = input.raw.length > largeInput ? mutantsPerLargeInput : mutantsPerSmallInput;
    for (let i = 0; i < n; i++) {
      const mutation = mutations[pick(rand, mutations.length)];
      const mutant = mutation(rand, input);
      const where = `${input.name}: ${mutation.name} (${mutant.what}), seed ${seed}, mutant ${i}`;
      const t0 = Date.now();
      let report;
      try {
        report = inspectMessage(mutant.raw);
      } catch (err) {
        assert.fail(`${where}: threw ${(err as Error).stack}`);
      }
      const ms = Date.now() - t0;
      slowest = Math.max(slowest, ms);
      assert.ok(ms < perMessageLimitMs, `${where}: took ${ms} ms`);
      assert.ok(pecKinds.includes(report.kind), where);
      assert.equal(typeof report.signature.intact, 'boolean', where);
      assert.ok(
        report.problems.every((p) => typeof p === 'string'),
        where,
      );
      assert.ok(
        !report.problems.some((p) => p.startsWith('internal error')),
        `${where}: ${report.problems.join('; ')}`,
      );
      assert.doesNotThrow(() => JSON.stringify(inspectReportJson(report)), where);
      if (mutant.insideSigned) {
        assert.equal(report.signature.intact, false, `${where}: change inside the signed part not detected`);
        detected++;
      }
      count++;
    }
  }
  const total = Date.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `fuzz: ${count} mutants of ${inputs.length} inputs in ${total} ms (${cpuMs.toFixed(0)} ms CPU, slowest ${slowest} ms), ${detected} signed-part changes all detected`,
  );
  assert.ok(count >= 2000, `${count} mutants`);
  assert.ok(detected > 100, 'enough mutants hit signed parts');
  assert.ok(cpuMs < totalCpuLimitMs, `fuzzing took ${cpuMs} ms of CPU`);
});
