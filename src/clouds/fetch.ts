// `gpusched market fetch`: one poll of one live cloud, outside the daemon, with the daemon's config for
// endpoints and launch settings (the adapter needs them to start, though fetching launches nothing).
import { defaultConfigPath, loadConfig } from '../config/load.js';
import { CONFIG_FILE_ENV, type Config } from '../config/schema.js';
import type { CloudName, Offer } from '../core/model.js';
import { loadLiveClouds } from './live.js';

export interface FetchRequest {
  cloud: CloudName;
  /** Regions to ask instead of the configured ones. */
  regions?: string[];
  configFile?: string;
  env: NodeJS.ProcessEnv;
  now: Date;
}

export async function fetchOffers(req: FetchRequest): Promise<Offer[]> {
  const file = req.configFile ?? (req.env[CONFIG_FILE_ENV] || undefined) ?? defaultConfigPath();
  const config = structuredClone(loadConfig({ file, env: req.env })) as Config;
  const cloud = config.clouds[req.cloud];
  if (req.regions) cloud.regions = req.regions;
  if (cloud.regions.length === 0)
    throw new Error(`no regions: pass --regions or set clouds.${req.cloud}.regions`);
  // Fetching needs no launch settings; placeholders let an adapter that checks them at start-up start.
  fillLaunchPlaceholders(config, req.cloud);
  const clouds = await loadLiveClouds(config, () => req.now, { only: [req.cloud] });
  const adapter = clouds[req.cloud];
  if (!adapter) throw new Error(`${req.cloud} adapter did not start`);
  try {
    return await adapter.market.poll(req.now);
  } finally {
    await adapter.close?.();
  }
}

function fillLaunchPlaceholders(config: Config, cloud: CloudName): void {
  const { aws, gcp, azure } = config.clouds;
  if (cloud === 'aws' && !aws.launch.imageId) aws.launch.imageId = 'ami-unused-by-market-fetch';
  // The project (GCP) and subscription (Azure) are real inputs of the availability calls: not filled in.
  if (cloud === 'gcp' && !gcp.launch.image) gcp.launch.image = 'unused-by-market-fetch';
  if (cloud === 'azure') {
    if (!azure.launch.image) azure.launch.image = 'unused:by:market:fetch';
    if (!azure.launch.subnetId) azure.launch.subnetId = '/unused/by/market/fetch';
    if (!azure.resourceGroup) azure.resourceGroup = 'unused-by-market-fetch';
  }
}
