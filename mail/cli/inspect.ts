/**
 * `pec inspect FILE [--trust FILE]...`: classify and verify one message, print ONE JSON object.
 * `--trust` takes PEM certificates (one or several per file), a DER certificate or the provider
 * index LDIF (plain or signed .p7m), recognised by content. Exit 0 when signed and intact (and
 * trusted when --trust is given), 1 for any other readable message, 2 for bad usage or an
 * unreadable file (reason on stderr).
 */
import { readFileSync } from 'node:fs';
import { inspectMessage, inspectReportJson } from '../pec/inspect';
import { mergeTrustStores, readTrustMaterial, type TrustStore } from '../pec/trust-store';

const usage = 'usage: pec inspect FILE [--trust FILE]...';

class UsageError extends Error {}

function parseArgs(args: string[]): { file: string; trustFiles: string[] } {
  const trustFiles: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--trust') {
      const value = args[++i];
      if (!value) throw new UsageError('--trust needs a file');
      trustFiles.push(value);
    } else if (a.startsWith('--trust=')) {
      trustFiles.push(a.slice('--trust='.length));
    } else if (a === '--help' || a === '-h') {
      throw new UsageError('');
    } else if (a.startsWith('--') && a !== '--') {
      throw new UsageError(`unknown option ${a}`);
    } else if (file === undefined) {
      file = a;
    } else throw new UsageError(`unexpected argument ${a}`);
  }
  if (!file) throw new UsageError('missing FILE');
  return { file, trustFiles };
}

function loadTrust(files: string[]): TrustStore | null {
  if (files.length === 0) return null;
  return mergeTrustStores(
    files.map((f) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch (err) {
        throw new UsageError(`cannot read trust file ${f}: ${(err as Error).message}`);
      }
      try {
        const material = readTrustMaterial(bytes);
        for (const p of material.problems) process.stderr.write(`pec inspect: ${f}: ${p}\n`);
        return material.store;
      } catch (err) {
        throw new UsageError(`trust file ${f}: ${(err as Error).message}`);
      }
    }),
  );
}

export async function run(args: string[]): Promise<number> {
  let file: string;
  let trust: TrustStore | null;
  try {
    const parsed = parseArgs(args);
    file = parsed.file;
    trust = loadTrust(parsed.trustFiles);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message ? `pec inspect: ${err.message}\n` : ''}${usage}\n`);
    return 2;
  }
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    process.stderr.write(`pec inspect: cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  const report = inspectMessage(raw, { trust });
  process.stdout.write(`${JSON.stringify(inspectReportJson(report), null, 2)}\n`);
  const s = report.signature;
  return s.present && s.intact && (trust === null || s.trusted === true) ? 0 : 1;
}
