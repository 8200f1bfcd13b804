// What the schema cannot say: keys that become required when a cloud is enabled, and cron patterns
// that node-cron must accept. Reported like schema errors, with paths (the loader adds the line).
import cron from 'node-cron';
import type { PathIssue } from '../core/validate.js';
import type { Config } from './schema.js';

export function configRuleIssues(c: Config): PathIssue[] {
  const issues: PathIssue[] = [];
  const need = (ok: boolean, path: string[], message: string) => {
    if (!ok) issues.push({ path, message });
  };
  const crons: [string, string[]][] = [
    [c.market.pollCron, ['market', 'pollCron']],
    [c.clouds.aws.pollCron, ['clouds', 'aws', 'pollCron']],
    [c.clouds.gcp.pollCron, ['clouds', 'gcp', 'pollCron']],
    [c.clouds.azure.pollCron, ['clouds', 'azure', 'pollCron']],
    [c.policies.reconcileCron, ['policies', 'reconcileCron']],
  ];
  for (const [pattern, path] of crons)
    need(cron.validate(pattern), path, `"${pattern}" is not a valid cron pattern`);

  const { aws, gcp, azure } = c.clouds;
  const required = 'is required when the cloud is enabled';
  if (aws.enabled) {
    need(aws.regions.length > 0, ['clouds', 'aws', 'regions'], 'must list at least one region when enabled');
    const ami = aws.launch.imageId;
    const missing =
      typeof ami === 'string' ? (ami === '' ? aws.regions : []) : aws.regions.filter((r) => !ami[r]);
    need(
      missing.length === 0,
      ['clouds', 'aws', 'launch', 'imageId'],
      `needs an AMI for ${missing.join(', ')}`,
    );
  }
  if (gcp.enabled) {
    need(gcp.regions.length > 0, ['clouds', 'gcp', 'regions'], 'must list at least one region when enabled');
    need(gcp.project !== '', ['clouds', 'gcp', 'project'], required);
    need(gcp.launch.image !== '', ['clouds', 'gcp', 'launch', 'image'], required);
  }
  if (azure.enabled) {
    need(
      azure.regions.length > 0,
      ['clouds', 'azure', 'regions'],
      'must list at least one region when enabled',
    );
    need(azure.subscriptionId !== '', ['clouds', 'azure', 'subscriptionId'], required);
    need(azure.resourceGroup !== '', ['clouds', 'azure', 'resourceGroup'], required);
    need(azure.launch.subnetId !== '', ['clouds', 'azure', 'launch', 'subnetId'], required);
    need(
      /^[^:\s]+:[^:\s]+:[^:\s]+:[^:\s]+$/.test(azure.launch.image) ||
        azure.launch.image.startsWith('/subscriptions/'),
      ['clouds', 'azure', 'launch', 'image'],
      'must be a URN publisher:offer:sku:version or an image resource id',
    );
  }
  return issues;
}
