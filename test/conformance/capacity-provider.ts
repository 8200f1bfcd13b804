// One contract, every CapacityProvider: the sim and each cloud adapter run these same cases (each
// against its own fake). The cases are the comments on CapacityProvider in src/clouds/ports.ts.
import { describe, expect, it } from 'vitest';
import { isCloudError } from '../../src/clouds/errors.js';
import type { CapacityProvider } from '../../src/clouds/ports.js';
import type { Offer } from '../../src/core/model.js';

export interface ConformanceSubject {
  provider: CapacityProvider;
  /** An offer this provider can launch. */
  offer: Offer;
  /** Makes launches in the offer's pool fail for lack of capacity from now on. */
  failLaunchesForCapacity: () => void | Promise<void>;
  cleanup?: () => void | Promise<void>;
}

export function capacityProviderConformance(name: string, make: () => Promise<ConformanceSubject>): void {
  describe(`${name} as a CapacityProvider`, () => {
    async function withSubject(fn: (s: ConformanceSubject) => Promise<void>): Promise<void> {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.cleanup?.();
      }
    }

    it('launches an instance tagged with the node id, and lists it', () =>
      withSubject(async ({ provider, offer }) => {
        const inst = await provider.launch({ nodeId: 'node-conf-1', offer, tags: { team: 'x' } });
        expect(inst.nodeId).toBe('node-conf-1');
        expect(inst.providerId).toBeTruthy();
        expect(inst).toMatchObject({
          cloud: offer.cloud,
          region: offer.region,
          instanceType: offer.instanceType,
        });
        expect(['pending', 'running']).toContain(inst.state);
        const listed = await provider.list();
        expect(listed.map((i) => i.providerId)).toContain(inst.providerId);
      }));

    it('is idempotent on the node id: a retried launch returns the first instance', () =>
      withSubject(async ({ provider, offer }) => {
        const a = await provider.launch({ nodeId: 'node-conf-2', offer, tags: {} });
        const b = await provider.launch({ nodeId: 'node-conf-2', offer, tags: {} });
        expect(b.providerId).toBe(a.providerId);
        const mine = (await provider.list()).filter(
          (i) => i.nodeId === 'node-conf-2' && i.state !== 'terminated',
        );
        expect(mine).toHaveLength(1);
      }));

    it('terminates an instance, and terminating it again succeeds', () =>
      withSubject(async ({ provider, offer }) => {
        const inst = await provider.launch({ nodeId: 'node-conf-3', offer, tags: {} });
        await provider.terminate(inst.providerId);
        await provider.terminate(inst.providerId);
        const after = (await provider.list()).find((i) => i.providerId === inst.providerId);
        expect(after === undefined || after.state === 'terminated').toBe(true);
      }));

    it('classifies a capacity failure as InsufficientCapacity', () =>
      withSubject(async ({ provider, offer, failLaunchesForCapacity }) => {
        await failLaunchesForCapacity();
        const err = await provider
          .launch({ nodeId: 'node-conf-4', offer, tags: {} })
          .catch((e: unknown) => e);
        expect(isCloudError(err, 'InsufficientCapacity')).toBe(true);
      }));

    it('counts billable hours forward in time', () =>
      withSubject(async ({ provider }) => {
        const t0 = new Date('2026-01-01T00:00:00Z');
        const t1 = new Date('2026-01-01T01:00:00Z');
        expect(provider.billableHours(t0, t1)).toBeGreaterThan(0);
        expect(provider.billableHours(t1, t0)).toBe(0);
      }));
  });
}
