/**
 * No Docker engine runs here, so the deployment files are checked for consistency instead: every
 * npm script, file, variable and volume they reference exists, the images follow the rules
 * (multi-stage, production dependencies only, non-root, healthcheck), and the environment compose
 * gives the app containers passes lib/config.ts validation.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { describeVariables, loadConfig } from '../lib/config';
import { groupCommitSettings } from '../lib/db/embedded';

const root = path.resolve(__dirname, '..');
const read = (p: string): string => readFileSync(path.join(root, p), 'utf8');
const composeText = read('docker/compose.yaml');
interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  profiles?: string[];
  restart?: string;
}
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const pkg = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const configVariables = new Set(describeVariables().map((v) => v.name));
/** variables only compose itself uses (database container, TLS mount, published port) */
const composeOnly = new Set([
  'POSTGRES_DB',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'TLS_DIR',
  'PORTAL_PUBLISH_PORT',
]);

function envExample(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of read('docker/.env.example').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) vars.set(m[1], m[2]);
  }
  return vars;
}

/** ${VAR}, ${VAR:-default}, ${VAR:?message} → value from `env` (compose interpolation). */
function interpolate(text: string, env: Map<string, string>): string {
  return text.replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_m, name: string, op: string | undefined, arg: string) => {
      const v = env.get(name);
      if (v) return v;
      if (op === '-') return arg;
      if (op === '?') throw new Error(`compose would stop: ${arg}`);
      return '';
    },
  );
}

const dockerfiles = [
  ...new Set(Object.values(services).flatMap((s) => (s.build ? [s.build.dockerfile] : []))),
];
const npmRuns = (text: string): string[] =>
  [...text.matchAll(/npm",?\s*"?run"?,?\s*"?(?:--silent"?,?\s*"?)?([a-z][\w:-]*)/g)].map((m) => m[1]);

describe('docker/compose.yaml', () => {
  test('has the services of the deployment, with the published ports', () => {
    assert.deepEqual(Object.keys(services).sort(), [
      'clamav',
      'dovecot',
      'migrate',
      'mta',
      'portal',
      'postgres',
    ]);
    const published = (s: string) => (services[s].ports ?? []).map((p) => p.split(':').slice(-2)[0]);
    assert.deepEqual(published('mta'), ['25', '465', '587']);
    assert.deepEqual(published('dovecot'), ['993', '995']);
    // the antivirus is not optional (spec §4.1-4.2): no profile, the MTA starts with it and points at it
    assert.equal(services.clamav.profiles, undefined);
    assert.equal(services.mta.depends_on?.clamav?.condition, 'service_started');
    assert.ok(services.clamav.expose?.includes('3310'));
    assert.equal(envExample().get('MTA_CLAMAV_ADDRESS'), 'clamav:3310');
    assert.equal(services.migrate.restart, 'no');
    for (const s of ['portal', 'mta', 'dovecot'])
      assert.equal(services[s].depends_on?.migrate?.condition, 'service_completed_successfully');
    assert.equal(services.migrate.depends_on?.postgres?.condition, 'service_healthy');
    assert.ok(services.postgres.healthcheck);
    // the same group-commit settings as the embedded server
    for (const setting of groupCommitSettings)
      assert.ok(services.postgres.command?.includes(setting), setting);
  });

  test('every npm script it or the Dockerfiles run exists, and scripts run without dev dependencies', () => {
    const runs = [...npmRuns(composeText), ...dockerfiles.flatMap((f) => npmRuns(read(f)))];
    assert.ok(runs.includes('db:migrate'));
    for (const name of runs) assert.ok(pkg.scripts[name], `npm script ${name} is missing from package.json`);
    // runtime images install with --omit=dev: whatever starts the scripts must be a dependency
    for (const name of runs.filter((n) => n !== 'build:mta')) {
      const bin = pkg.scripts[name].split(' ')[0];
      if (bin === 'tsx' || bin === 'next' || bin === 'prisma')
        assert.ok(pkg.dependencies[bin], `${bin} (used by npm run ${name}) must be in dependencies`);
    }
    assert.ok(pkg.dependencies.tsx, 'the MTA entrypoint runs with node --import tsx');
  });

  test('every variable is documented in .env.example and known to lib/config.ts or used by compose', () => {
    const documented = envExample();
    const used = [...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]);
    for (const v of used)
      assert.ok(documented.has(v), `${v} is used by compose.yaml but not documented in .env.example`);
    for (const v of documented.keys()) {
      assert.ok(
        configVariables.has(v) || composeOnly.has(v),
        `${v} in .env.example is neither a lib/config.ts variable nor a compose variable`,
      );
      if (composeOnly.has(v))
        assert.ok(used.includes(v), `${v} is documented but compose.yaml never uses it`);
    }
    for (const [name, s] of Object.entries(services)) {
      if (!s.env_file) continue;
      assert.equal(s.env_file, '.env');
      for (const key of Object.keys(s.environment ?? {}))
        assert.ok(configVariables.has(key), `${name}: ${key} is not a lib/config.ts variable`);
    }
  });

  test('the environment compose gives the app containers passes configuration validation', () => {
    const env = envExample();
    env.set('POSTGRES_PASSWORD', 'example-password');
    env.set('AUTH_SECRET', 'x'.repeat(48));
    for (const name of ['migrate', 'portal', 'mta']) {
      const merged: Record<string, string> = Object.fromEntries(env);
      for (const [k, v] of Object.entries(services[name].environment ?? {})) merged[k] = interpolate(v, env);
      const config = loadConfig(merged, '/app');
      assert.match(config.databaseUrl ?? '', /^postgresql:\/\/pec:example-password@postgres:5432\/pec$/);
      assert.equal(config.maildirRoot, '/var/mail/pec');
    }
    env.delete('POSTGRES_PASSWORD');
    assert.throws(
      () => interpolate(services.portal.environment?.DATABASE_URL ?? '', env),
      /set POSTGRES_PASSWORD/,
    );
  });

  test('the MTA delivers over LMTP to the port the dovecot service exposes and dovecot.conf listens on', () => {
    const config = loadConfig(Object.fromEntries(envExample()), '/app');
    assert.equal(config.delivery.kind, 'lmtp');
    if (config.delivery.kind !== 'lmtp') return;
    const { host, port } = config.delivery;
    assert.equal(host, 'dovecot');
    assert.ok(services.dovecot.expose?.includes(String(port)), 'dovecot does not expose the LMTP port');
    assert.ok(
      !(services.dovecot.ports ?? []).some((p) => p.endsWith(`:${port}`)),
      'LMTP must not be published',
    );
    assert.match(
      read('docker/dovecot/dovecot.conf'),
      new RegExp(`inet_listener lmtp \\{\\s*port = ${port}\\n`),
    );
  });

  test('volumes are declared; the MTA and Dovecot share the Maildir volume', () => {
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (!source.startsWith('$') && !source.startsWith('/') && !source.startsWith('.'))
          assert.ok(source in compose.volumes, `volume ${source} not declared`);
      }
    }
    const maildirOf = (s: string) => services[s].volumes?.find((v) => v.startsWith('maildir:'));
    assert.equal(maildirOf('mta'), 'maildir:/var/mail/pec');
    assert.equal(maildirOf('dovecot'), 'maildir:/var/mail/pec');
    assert.equal(services.dovecot.environment?.PEC_MAILDIR_ROOT, '/var/mail/pec');
  });
});

describe('Dockerfiles', () => {
  test('exist, with their own .dockerignore, and every file they name exists', () => {
    assert.deepEqual(dockerfiles.sort(), [
      'docker/dovecot.Dockerfile',
      'docker/mta.Dockerfile',
      'docker/portal.Dockerfile',
    ]);
    for (const f of dockerfiles) {
      assert.ok(existsSync(path.join(root, `${f}.dockerignore`)), `${f}.dockerignore`);
      const text = read(f);
      for (const m of text.matchAll(/(docker\/[\w./-]+)/g)) {
        if (m[1] === f) continue;
        assert.ok(existsSync(path.join(root, m[1])), `${f} names ${m[1]}, which does not exist`);
      }
    }
  });

  test('portal and MTA images: multi-stage, production dependencies only, non-root, healthcheck', () => {
    for (const f of ['docker/portal.Dockerfile', 'docker/mta.Dockerfile']) {
      const stages = read(f)
        .split(/^FROM /m)
        .slice(1);
      assert.ok(stages.length >= 2, `${f} is not multi-stage`);
      const final = stages[stages.length - 1];
      assert.match(final, /npm ci --omit=dev/);
      assert.match(final, /^USER pec$/m);
      assert.match(final, /^HEALTHCHECK /m);
      assert.doesNotMatch(stages.slice(0, -1).join(''), /--omit=dev/);
    }
    assert.match(read('docker/dovecot.Dockerfile'), /^HEALTHCHECK /m);
  });
});
