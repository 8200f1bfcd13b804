// Builds the ARM SDK clients from the options: endpoint, trusted CA, retries, and the credential.
// The credential defaults to @azure/identity's DefaultAzureCredential (pinned at 4.13.1, the last release
// for Node 20): it is imported only when no credential was given, and a broken install is a startup error
// that says what to install.
import { ComputeManagementClient } from '@azure/arm-compute';
import type { ConsumptionManagementClient } from '@azure/arm-consumption';
import type { AzureTokenCredential, ResolvedAzureOptions } from './options.js';

type SdkCredential = ConstructorParameters<typeof ComputeManagementClient>[0];

/** The token audience of Azure Resource Manager, whatever endpoint (proxy, fake) the requests go to. */
export const ARM_SCOPE = 'https://management.azure.com/.default';

// Imported by name at run time, so that loading this module does not load the identity stack.
const IDENTITY_PACKAGE = '@azure/identity';

export async function loadDefaultCredential(
  importer: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<AzureTokenCredential> {
  let mod: unknown;
  try {
    mod = await importer(IDENTITY_PACKAGE);
  } catch (e) {
    throw new Error(
      `azure: no credential was given and ${IDENTITY_PACKAGE} is not installed. Install it next to gpusched ` +
        `(npm install ${IDENTITY_PACKAGE}@4.13.1, the last release that runs on Node 20) or pass a credential.`,
      { cause: e },
    );
  }
  const ctor = (mod as { DefaultAzureCredential?: unknown }).DefaultAzureCredential;
  if (typeof ctor !== 'function') {
    throw new Error(
      `azure: ${IDENTITY_PACKAGE} has no DefaultAzureCredential export; is it a supported version?`,
    );
  }
  return new (ctor as new () => AzureTokenCredential)();
}

function pipelineOptions(o: ResolvedAzureOptions) {
  return {
    endpoint: o.endpoint,
    retryOptions: {
      maxRetries: o.retry.maxRetries,
      retryDelayInMs: o.retry.retryDelayMs,
      maxRetryDelayInMs: o.retry.maxRetryDelayMs,
    },
    ...(o.tlsCa !== undefined ? { tlsOptions: { ca: o.tlsCa } } : {}),
    userAgentOptions: { userAgentPrefix: 'gpusched' },
  };
}

export function createComputeClient(
  o: ResolvedAzureOptions,
  credential: AzureTokenCredential,
): ComputeManagementClient {
  return new ComputeManagementClient(credential as SdkCredential, o.subscriptionId, {
    ...pipelineOptions(o),
    credentials: { scopes: [ARM_SCOPE] },
  });
}

/** Loaded on first use: most daemons never read usage details, and the package costs load time. */
export async function createConsumptionClient(
  o: ResolvedAzureOptions,
  credential: AzureTokenCredential,
): Promise<ConsumptionManagementClient> {
  const { ConsumptionManagementClient } = await import('@azure/arm-consumption');
  // Without credentialScopes the old-style client asks for a token for `${endpoint}/.default`, which is
  // wrong as soon as the endpoint is a proxy or a fake.
  return new ConsumptionManagementClient(credential as SdkCredential, o.subscriptionId, {
    ...pipelineOptions(o),
    credentialScopes: [ARM_SCOPE],
  });
}
