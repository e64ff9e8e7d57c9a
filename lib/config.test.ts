import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config';

test('defaults give a usable configuration without any variable set', () => {
  const c = loadConfig({}, '/srv/pec');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.dataDir, '/srv/pec/.data');
  assert.equal(c.maildirRoot, '/srv/pec/.data/maildir');
  assert.equal(c.provider.serviceAddress, 'posta-certificata@pec.localhost.test');
  assert.equal(c.provider.timeZone, 'Europe/Rome');
  assert.equal(c.limits.maxMessageBytes, 30 * 1024 * 1024);
  assert.equal(c.portal.url, 'http://127.0.0.1:3000');
});

test('values are parsed and typed', () => {
  const c = loadConfig({ PORTAL_PORT: '8080', DATABASE_URL: 'postgresql://u:p@db/pec', PEC_MAIL_DOMAIN: 'pec.example.it' });
  assert.equal(c.portal.port, 8080);
  assert.equal(c.databaseUrl, 'postgresql://u:p@db/pec');
  assert.equal(c.provider.serviceAddress, 'posta-certificata@pec.example.it');
});

for (const [variable, value] of [
  ['PORTAL_PORT', 'eighty'],
  ['PORTAL_PORT', '70000'],
  ['DATABASE_URL', 'mysql://x'],
  ['PEC_MAIL_DOMAIN', 'Not A Domain'],
  ['PEC_TIMEZONE', 'Mars/Olympus'],
  ['LOG_LEVEL', 'loud'],
  ['PEC_SERVICE_ADDRESS', '<x@y.it>'],
  ['AUTH_SECRET', 'short'],
] as const) {
  test(`a bad ${variable} (${value}) is refused with an error naming it`, () => {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (e: unknown) => e instanceof ConfigError && e.variable === variable && e.message.includes(variable),
    );
  });
}

test('the preavviso must come before the final timeout', () => {
  assert.throws(
    () => loadConfig({ PEC_PREAVVISO_SECONDS: '100', PEC_MANCATA_CONSEGNA_SECONDS: '50' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'PEC_PREAVVISO_SECONDS',
  );
});
