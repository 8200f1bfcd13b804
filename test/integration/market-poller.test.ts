// The market poller against sources that fail the ways real clouds do.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CloudError } from '../../src/clouds/errors.js';
import type { MarketSource } from '../../src/clouds/ports.js';
import type { Offer } from '../../src/core/model.js';
import { MarketPoller } from '../../src/services/market.js';
import { openStore } from '../../src/store/store.js';
import { at, offer } from '../helpers/builders.js';

/** A source whose next answers the test scripts: offers, or an error to throw. */
function scripted(answers: (Offer[] | Error)[]): MarketSource {
  return {
    cloud: 'aws',
    kind: 'live',
    async poll() {
      const next = answers.shift();
      if (!next) throw new Error('no more answers scripted');
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

function setup(answers: (Offer[] | Error)[]) {
  const store = openStore(':memory:');
  const source = scripted(answers);
  const poller = new MarketPoller(
    store,
    [source],
    { retry: { baseMs: 1000, maxMs: 60_000 }, random: () => 1 },
    pino({ level: 'silent' }),
  );
  return { store, source, poller };
}

const two = [offer({ pricePerHour: 10 }), offer({ zone: 'us-east-1b', pricePerHour: 11 })];

describe('the market poller', () => {
  it('stores a poll and records only price changes as history', async () => {
    const later = at(300).toISOString();
    const { store, source, poller } = setup([
      two,
      [
        offer({ pricePerHour: 10, observedAt: later }),
        offer({ zone: 'us-east-1b', pricePerHour: 12, observedAt: later }),
      ],
    ]);
    await poller.poll(source, at(0));
    await poller.poll(source, at(300));
    expect(store.offers.list().map((o) => o.pricePerHour)).toEqual([10, 12]);
    expect(store.offers.priceHistory('aws/us-east-1/us-east-1a/p4d.24xlarge/spot')).toHaveLength(1);
    expect(
      store.offers.priceHistory('aws/us-east-1/us-east-1b/p4d.24xlarge/spot').map((h) => h.pricePerHour),
    ).toEqual([11, 12]);
    expect(poller.ready).toBe(true);
  });

  it('keeps the last good offers when a poll fails, and records the error', async () => {
    const { store, source, poller } = setup([
      two,
      new CloudError('Transient', 'HTTP 503 from ec2.us-east-1', 'aws'),
    ]);
    await poller.poll(source, at(0));
    const outcome = await poller.poll(source, at(300));
    expect(outcome).toEqual({ ok: false, retryInMs: 1000 });
    expect(store.offers.list()).toHaveLength(2);
    expect(store.offers.sources()[0]).toMatchObject({
      fetchedAt: at(0).toISOString(),
      lastAttemptAt: at(300).toISOString(),
      lastError: 'Transient: HTTP 503 from ec2.us-east-1',
      failures: 1,
    });
  });

  it('backs off further with every failure, and further still when throttled', async () => {
    const fail = () => new CloudError('Transient', 'x', 'aws');
    const { source, poller } = setup([fail(), fail(), new CloudError('Throttled', 'slow down', 'aws'), two]);
    const delays = [];
    for (let i = 0; i < 3; i++) delays.push((await poller.poll(source, at(i))).retryInMs);
    expect(delays).toEqual([1000, 2000, 8000]);
    expect(await poller.poll(source, at(9))).toEqual({ ok: true, retryInMs: null });
  });

  it('refuses an empty answer where there were offers: a partial answer never wipes good data', async () => {
    const { store, source, poller } = setup([two, []]);
    await poller.poll(source, at(0));
    expect((await poller.poll(source, at(300))).ok).toBe(false);
    expect(store.offers.list()).toHaveLength(2);
    expect(store.offers.sources()[0]?.lastError).toMatch(/answered no offers where it had 2/);
  });

  it('clears the error on the next good poll', async () => {
    const { store, source, poller } = setup([new Error('malformed XML at line 3'), two]);
    await poller.poll(source, at(0));
    expect(poller.ready).toBe(false);
    await poller.poll(source, at(5));
    expect(store.offers.sources()[0]).toMatchObject({ lastError: null, failures: 0, offers: 2 });
    expect(poller.ready).toBe(true);
  });
});
