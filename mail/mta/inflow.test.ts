import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InflowGate } from './inflow';

/** A reception transaction that lasts until `finish()` is called. */
function openReception(gate: InflowGate) {
  let finish!: () => void;
  const done = gate.reception(() => new Promise<void>((resolve) => (finish = resolve)));
  return {
    finish: async () => {
      finish();
      await done;
    },
  };
}

describe('InflowGate: submissions give way to reception', () => {
  it('admits at once while reception is within its limit', async () => {
    const gate = new InflowGate({ maxInbound: 2, maxDelayMs: 5000 });
    const a = openReception(gate);
    const b = openReception(gate);
    const started = Date.now();
    assert.equal(await gate.admitSubmission(), 0);
    assert.ok(Date.now() - started < 50);
    await a.finish();
    await b.finish();
    assert.deepEqual(gate.stats, { delayed: 0, delayedMs: 0 });
  });

  it('a busy reception holds a submission until one transaction ends, one waiter per ending', async () => {
    const gate = new InflowGate({ maxInbound: 1, maxDelayMs: 5000 });
    const receptions = [openReception(gate), openReception(gate), openReception(gate)];
    const admitted: number[] = [];
    const first = gate.admitSubmission().then(() => admitted.push(1));
    const second = gate.admitSubmission().then(() => admitted.push(2));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(admitted, [], 'both wait while 3 > 1 receptions run');
    await receptions[0].finish(); // 2 still running: above the limit, nobody admitted
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(admitted, []);
    await receptions[1].finish(); // 1 running: within the limit, the first waiter goes
    await first;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(admitted, [1], 'one ending admits one submission, in arrival order');
    await receptions[2].finish();
    await second;
    assert.deepEqual(admitted, [1, 2]);
    assert.equal(gate.stats.delayed, 2);
    assert.ok(gate.stats.delayedMs >= 100);
  });

  it('never waits longer than maxDelayMs, and a failed reception still counts as ended', async () => {
    const gate = new InflowGate({ maxInbound: 0, maxDelayMs: 150 });
    const stuck = openReception(gate);
    const started = Date.now();
    const waited = await gate.admitSubmission();
    assert.ok(waited >= 140 && Date.now() - started < 1000, `waited ${waited} ms`);
    await assert.rejects(
      gate.reception(async () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    await stuck.finish();
    assert.equal(await gate.admitSubmission(), 0, 'nothing in progress any more');
  });

  it('maxDelayMs 0 turns the gate off', async () => {
    const gate = new InflowGate({ maxInbound: 0, maxDelayMs: 0 });
    const busy = openReception(gate);
    assert.equal(await gate.admitSubmission(), 0);
    await busy.finish();
  });
});
