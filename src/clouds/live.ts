// Turns the config of each enabled cloud into its adapter. Each cloud's module (and so its SDK, which
// costs up to a second and 100 MB to load) is imported only when that cloud is enabled: a daemon on the
// simulated clouds alone loads none of them.
import type { Config } from '../config/schema.js';
import type { CloudName } from '../core/model.js';
import type { CloudAdapter } from './ports.js';

export type LiveClouds = Partial<Record<CloudName, CloudAdapter>>;

/** `publisher:offer:sku:version` → an image reference; an ARM id stays an id. */
export function azureImageReference(image: string) {
  if (image.startsWith('/')) return { id: image };
  const [publisher = '', offer = '', sku = '', version = ''] = image.split(':');
  return { publisher, offer, sku, version };
}

export async function loadLiveClouds(
  config: Readonly<Config>,
  now: () => Date,
  opts: { only?: readonly CloudName[]; warn?: (cloud: CloudName, message: string) => void } = {},
): Promise<LiveClouds> {
  const { only } = opts;
  const { aws, gcp, azure, clusterTag } = config.clouds;
  const wanted = (c: CloudName, enabled: boolean) => (only ? only.includes(c) : enabled);
  const clouds: LiveClouds = {};
  if (wanted('aws', aws.enabled)) {
    const { createAwsCloud } = await import('./aws/index.js');
    clouds.aws = await createAwsCloud(
      {
        regions: aws.regions,
        ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
        ...(aws.pricingEndpoint ? { pricingEndpoint: aws.pricingEndpoint } : {}),
        launch: {
          imageId: aws.launch.imageId,
          subnetIds: aws.launch.subnetIds,
          securityGroupIds: aws.launch.securityGroupIds,
          ...(aws.launch.keyName ? { keyName: aws.launch.keyName } : {}),
          ...(aws.launch.instanceProfileArn ? { instanceProfileArn: aws.launch.instanceProfileArn } : {}),
        },
        clusterTag,
        onDemandRefreshHours: aws.onDemandRefreshHours,
        availabilityRefreshMinutes: aws.availabilityRefreshMinutes,
        now,
      },
      { warn: (m) => opts.warn?.('aws', m) },
    );
  }
  if (wanted('gcp', gcp.enabled)) {
    const { createGcpCloud } = await import('./gcp/index.js');
    clouds.gcp = await createGcpCloud({
      project: gcp.project,
      regions: [...gcp.regions],
      ...(gcp.apiEndpoint ? { apiEndpoint: gcp.apiEndpoint } : {}),
      ...(gcp.apiKey ? { apiKey: gcp.apiKey } : {}),
      launch: { ...gcp.launch },
      clusterLabel: clusterTag,
      priceRefreshHours: gcp.priceRefreshHours,
      availabilityRefreshMinutes: gcp.availabilityRefreshMinutes,
      now,
    });
  }
  if (wanted('azure', azure.enabled)) {
    const { createAzureCloud } = await import('./azure/index.js');
    clouds.azure = await createAzureCloud({
      subscriptionId: azure.subscriptionId,
      resourceGroup: azure.resourceGroup,
      regions: [...azure.regions],
      ...(azure.endpoint ? { endpoint: azure.endpoint } : {}),
      ...(azure.retailPricesUrl ? { retailPricesUrl: azure.retailPricesUrl } : {}),
      launch: {
        imageReference: azureImageReference(azure.launch.image),
        subnetId: azure.launch.subnetId,
        adminUsername: azure.launch.adminUsername,
        ...(azure.launch.sshPublicKey ? { sshPublicKey: azure.launch.sshPublicKey } : {}),
      },
      clusterTag,
      priceRefreshHours: azure.priceRefreshHours,
      availabilityRefreshMinutes: azure.availabilityRefreshMinutes,
      now,
    });
  }
  return clouds;
}
