/**
 * Child process of inspect.large.test.ts: inspects one big message file and prints, as JSON, the
 * verdict plus the time and the peak memory the inspection added (maxRSS is a high-water mark, so
 * it is read right before and right after inspecting, with the file already in memory).
 */
import { readFileSync } from 'node:fs';
import { inspectMessage } from '../inspect';

const raw = readFileSync(process.argv[2]);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.resourceUsage().maxRSS;
const heapBefore = process.memoryUsage().heapUsed;
const t0 = process.hrtime.bigint();
const r = inspectMessage(raw);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const after = process.resourceUsage().maxRSS;
process.stdout.write(
  JSON.stringify({
    size: raw.length,
    kind: r.kind,
    receiptType: r.receiptType,
    intact: r.signature.intact,
    problems: r.problems,
    originalLength: r.original?.length ?? 0,
    originalIsView: r.original ? r.original.buffer === raw.buffer : false,
    ms,
    peakAddedBytes: (after - before) * 1024,
    heapAddedBytes: process.memoryUsage().heapUsed - heapBefore,
  }),
);
