/**
 * `npm run --silent pec -- <command> ...`: the PEC command line for users, auditors and scripts.
 * Each command lives in its own module; this file only dispatches. Exit codes: 0 ok, 1 verdict
 * negative, 2 unreadable input or bad usage.
 */
const commands: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  inspect: { summary: 'inspect FILE [--trust FILE]...  classify and verify a message, print JSON', load: () => import('./inspect') },
  samples: { summary: 'samples --out DIR                 write one signed message of every kind', load: () => import('./samples') },
};

function usage(): string {
  return ['usage: pec <command> [args]', ...Object.values(commands).map((c) => `  pec ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  return (await command.load()).run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pec: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
