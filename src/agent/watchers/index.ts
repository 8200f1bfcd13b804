// The notice watchers, and the one call the agent makes to get the right one for its cloud.
import type { CloudName } from '../../core/model.js';
import { AwsNoticeWatcher, type AwsWatcherOptions } from './aws.js';
import { AzureNoticeWatcher, type AzureWatcherOptions } from './azure.js';
import { GcpNoticeWatcher, type GcpWatcherOptions } from './gcp.js';
import { DEFAULT_METADATA_ENDPOINTS } from './notice.js';

export { AwsNoticeWatcher, type AwsWatcherOptions } from './aws.js';
export { AzureNoticeWatcher, type AzureWatcherOptions } from './azure.js';
export { GcpNoticeWatcher, type GcpWatcherOptions } from './gcp.js';
export {
  DEFAULT_METADATA_ENDPOINTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MetadataError,
  type Notice,
  type NoticeKind,
  type NoticeWatcher,
  noticeKey,
} from './notice.js';
export { DEFAULT_POLL_INTERVAL_MS, type WatchErrorInfo, type WatchOptions, watch } from './watch.js';

/** The environment variable that overrides the metadata endpoint (as --metadata-endpoint does). */
export const METADATA_ENDPOINT_ENV = 'GPUSCHED_METADATA_ENDPOINT';

export type NoticeWatcherFor<C extends CloudName> = C extends 'aws'
  ? AwsNoticeWatcher
  : C extends 'gcp'
    ? GcpNoticeWatcher
    : AzureNoticeWatcher;

export type AnyWatcherOptions = AwsWatcherOptions & GcpWatcherOptions & AzureWatcherOptions;

/**
 * The watcher for `cloud`. `endpoint` falls back to the cloud's link-local default; the agent passes
 * --metadata-endpoint, else GPUSCHED_METADATA_ENDPOINT (see metadataEndpointFrom).
 */
export function createNoticeWatcher<C extends CloudName>(
  cloud: C,
  opts: AnyWatcherOptions = {},
): NoticeWatcherFor<C> {
  switch (cloud) {
    case 'aws':
      return new AwsNoticeWatcher(opts) as NoticeWatcherFor<C>;
    case 'gcp':
      return new GcpNoticeWatcher(opts) as NoticeWatcherFor<C>;
    case 'azure':
      return new AzureNoticeWatcher(opts) as NoticeWatcherFor<C>;
    default:
      throw new Error(`no notice watcher for cloud '${String(cloud)}'`);
  }
}

/** The endpoint to watch: the flag, else the environment, else the cloud's default. */
export function metadataEndpointFrom(
  cloud: CloudName,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  return flag || env[METADATA_ENDPOINT_ENV] || DEFAULT_METADATA_ENDPOINTS[cloud];
}
