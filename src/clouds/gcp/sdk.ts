// The narrow slice of the two SDKs that gpusched uses, behind an interface so that the market and the
// capacity provider can be tested without them. `loadGcpApi` is the only place that imports the SDKs,
// and it does so lazily (@google-cloud/compute costs ~1.2 s and ~100 MB to load).

import type { protos as billingProtos } from '@google-cloud/billing';
import type { protos as computeProtos } from '@google-cloud/compute';
import { type CallPolicy, gcpCall } from './call.js';
import { GcpMalformedError } from './errors.js';
import type { GcpAuthClient, GcpEndpoint } from './options.js';

export type GceInstance = computeProtos.google.cloud.compute.v1.IInstance;
export type GceOperation = computeProtos.google.cloud.compute.v1.IOperation;
export type GceAcceleratorTypesScope = computeProtos.google.cloud.compute.v1.IAcceleratorTypesScopedList;
export type GceMachineTypesScope = computeProtos.google.cloud.compute.v1.IMachineTypesScopedList;
export type GceInstancesScope = computeProtos.google.cloud.compute.v1.IInstancesScopedList;
export type GceOperationsScope = computeProtos.google.cloud.compute.v1.IOperationsScopedList;
export type BillingSku = billingProtos.google.cloud.billing.v1.ISku;

/** Compute Engine's service id in the Cloud Billing catalog. */
export const COMPUTE_ENGINE_SERVICE = '6F81-5844-456A';

export interface SkuPage {
  skus: BillingSku[];
  nextPageToken: string | null;
}

/** Every call throws a CloudError (classified, naming the API) and never returns a partial list. */
export interface GcpApi {
  /** One page of `services.skus.list` for Compute Engine, prices in USD. */
  listSkus(pageToken: string | null): Promise<SkuPage>;
  /** All pages of `acceleratorTypes.aggregatedList`, as [scope, scoped list] (scope 'zones/<zone>'). */
  acceleratorTypes(): Promise<Array<[string, GceAcceleratorTypesScope]>>;
  machineTypes(filter: string): Promise<Array<[string, GceMachineTypesScope]>>;
  instances(filter: string): Promise<Array<[string, GceInstancesScope]>>;
  /** `globalOperations.aggregatedList`: operations of every zone and region. */
  operations(filter: string): Promise<Array<[string, GceOperationsScope]>>;
  insertInstance(zone: string, instance: GceInstance, requestId: string): Promise<GceOperation>;
  getInstance(zone: string, name: string): Promise<GceInstance>;
  deleteInstance(zone: string, name: string, requestId: string): Promise<GceOperation>;
  /** `zoneOperations.wait`: returns when the operation is DONE or after up to ~2 minutes. */
  waitOperation(zone: string, operation: string): Promise<GceOperation>;
}

export interface GcpApiConfig {
  project: string;
  endpoint: GcpEndpoint | null;
  authClient?: GcpAuthClient;
  apiKey?: string;
  policy: CallPolicy;
}

async function collect<T>(iterable: AsyncIterable<[string, T]>): Promise<Array<[string, T]>> {
  const out: Array<[string, T]> = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

/** Imports both SDKs and builds the clients once; the SDKs' own clients are reused for every call. */
export async function loadGcpApi(cfg: GcpApiConfig): Promise<GcpApi> {
  const [compute, billing] = await Promise.all([
    import('@google-cloud/compute'),
    import('@google-cloud/billing'),
  ]);
  // projectId: without it google-auth-library spends ~1 s per client guessing the project (gcloud,
  // the metadata server) before the first request.
  const where = { ...(cfg.endpoint ?? {}), projectId: cfg.project };
  const auth = cfg.authClient ? { authClient: cfg.authClient } : {};
  // REST for both: compute defaults to it; billing would otherwise use gRPC.
  const computeOpts = { ...where, ...auth, fallback: true };
  // The catalog takes an API key instead of credentials; gax ignores apiKey when an authClient is set.
  const billingOpts = cfg.apiKey ? { ...where, apiKey: cfg.apiKey, fallback: true } : computeOpts;
  // Each client costs ~40 ms to build (gax hashes the API's protos), so each is built on first use: the
  // market needs three clients, the capacity provider three others.
  const lazy = <T>(make: () => T): (() => T) => {
    let made: T | undefined;
    return () => {
      made ??= make();
      return made;
    };
  };
  const catalog = lazy(() => new billing.CloudCatalogClient(billingOpts));
  const accelerators = lazy(() => new compute.AcceleratorTypesClient(computeOpts));
  const machineTypes = lazy(() => new compute.MachineTypesClient(computeOpts));
  const instances = lazy(() => new compute.InstancesClient(computeOpts));
  const zoneOps = lazy(() => new compute.ZoneOperationsClient(computeOpts));
  const globalOps = lazy(() => new compute.GlobalOperationsClient(computeOpts));
  const { project, policy } = cfg;
  // autoPaginate:false on the async iterators only silences gax's warning; they page by themselves.
  // A fresh object per call: gax writes routing headers into the options it is given.
  const paging = () => ({ autoPaginate: false });
  const call = <T>(api: string, run: () => Promise<T>, timeoutMs?: number): Promise<T> =>
    gcpCall(api, policy, run, timeoutMs);
  // zoneOperations.wait holds the request open for up to two minutes by design.
  const waitTimeoutMs = Math.max(policy.timeoutMs, 150_000);
  type InsertOp = { latestResponse?: unknown };
  const opOf = (r: InsertOp): GceOperation => {
    const op = r.latestResponse as GceOperation | undefined;
    if (!op?.name) throw new GcpMalformedError('the answer has no operation name');
    return op;
  };

  return {
    listSkus: (pageToken) =>
      call('cloudbilling services.skus.list', async () => {
        const parent = `services/${COMPUTE_ENGINE_SERVICE}`;
        const request = { parent, currencyCode: 'USD', pageSize: 5000, ...(pageToken ? { pageToken } : {}) };
        const [skus, , raw] = await catalog().listSkus(request, paging());
        return { skus, nextPageToken: raw?.nextPageToken || null };
      }),
    acceleratorTypes: () =>
      call('compute acceleratorTypes.aggregatedList', () =>
        collect(accelerators().aggregatedListAsync({ project, maxResults: 500 }, paging())),
      ),
    machineTypes: (filter) =>
      call('compute machineTypes.aggregatedList', () =>
        collect(machineTypes().aggregatedListAsync({ project, filter, maxResults: 500 }, paging())),
      ),
    instances: (filter) =>
      call('compute instances.aggregatedList', () =>
        collect(instances().aggregatedListAsync({ project, filter, maxResults: 500 }, paging())),
      ),
    operations: (filter) =>
      call('compute globalOperations.aggregatedList', () =>
        collect(globalOps().aggregatedListAsync({ project, filter, maxResults: 500 }, paging())),
      ),
    insertInstance: (zone, instanceResource, requestId) =>
      call('compute instances.insert', async () => {
        const [op] = await instances().insert({ project, zone, instanceResource, requestId });
        return opOf(op as InsertOp);
      }),
    getInstance: (zone, instance) =>
      call('compute instances.get', async () => (await instances().get({ project, zone, instance }))[0]),
    deleteInstance: (zone, instance, requestId) =>
      call('compute instances.delete', async () => {
        const [op] = await instances().delete({ project, zone, instance, requestId });
        return opOf(op as InsertOp);
      }),
    waitOperation: (zone, operation) =>
      call(
        'compute zoneOperations.wait',
        async () => (await zoneOps().wait({ project, zone, operation }))[0],
        waitTimeoutMs,
      ),
  };
}
