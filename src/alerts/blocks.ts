// Slack messages for alerts, as Block Kit: pure functions from an Alert to the JSON body an incoming webhook
// takes. `text` is the notification's fallback (and the one-line summary for the log and the history);
// `blocks` is what the channel shows. Slack's limits are kept: a header's text at most 150 characters, a
// section's 3000, a field's 2000, at most 10 fields.
import { at, type BudgetAction, usd } from '../core/budget.js';
import type { GpuIdleAlert, JobFailingAlert, PriceJumpAlert } from './anomaly-alerts.js';
import type { Alert, BudgetFacts } from './notifier.js';

export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}
export interface Mrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}
export type SlackBlock =
  | { readonly type: 'header'; readonly text: PlainText }
  | { readonly type: 'section'; readonly text: Mrkdwn }
  | { readonly type: 'section'; readonly fields: readonly Mrkdwn[] }
  | { readonly type: 'context'; readonly elements: readonly Mrkdwn[] }
  | { readonly type: 'divider' };

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
/** Problems listed in a policy-invalid message; the rest are counted. */
const MAX_LISTED_ISSUES = 10;

export function slackMessage(alert: Alert): SlackMessage {
  switch (alert.kind) {
    case 'threshold': {
      const percent = `${formatPercent(alert.thresholdPercent)}%`;
      return {
        text: `Budget ${alert.policy}: ${percent} used (${usd(alert.spentUsd)} of ${usd(alert.limitUsd)})`,
        blocks: [
          header(`:warning: ${alert.policy}: ${percent} of budget used`),
          section(
            `*${usd(alert.spentUsd)}* spent of *${usd(alert.limitUsd)}* this period (${share(alert)}). Forecast to the end of the period: *${usd(alert.forecastUsd)}*.`,
          ),
          facts(alert),
          footer(alert),
        ],
      };
    }
    case 'forecast': {
      const over = alert.forecastUsd - alert.limitUsd;
      return {
        text: `Budget ${alert.policy}: forecast ${usd(alert.forecastUsd)} exceeds the limit of ${usd(alert.limitUsd)}`,
        blocks: [
          header(`:chart_with_upwards_trend: ${alert.policy}: forecast to exceed budget`),
          section(
            `At the current rate the period ends at about *${usd(alert.forecastUsd)}*, *${usd(over)}* over the *${usd(alert.limitUsd)}* limit. Spent so far: ${usd(alert.spentUsd)} (${share(alert)}).`,
          ),
          facts(alert),
          footer(alert),
        ],
      };
    }
    case 'limit': {
      const end = at(new Date(alert.periodEnd), alert.timezone);
      return {
        text: `Budget ${alert.policy}: limit of ${usd(alert.limitUsd)} reached; action: ${alert.action}`,
        blocks: [
          header(`:no_entry: ${alert.policy}: budget limit reached`),
          section(
            `*${usd(alert.spentUsd)}* spent of *${usd(alert.limitUsd)}* (${share(alert)}). Action taken: *${alert.action}*: ${escapeMrkdwn(actionTaken(alert.action, end, alert.affectedJobs))}.`,
          ),
          facts(alert),
          footer(alert),
        ],
      };
    }
    case 'policy-invalid': {
      const names = alert.files.map(baseName);
      const title = names.length === 0 ? alert.dir : listed(names, 3);
      const shown = alert.issues.slice(0, MAX_LISTED_ISSUES);
      const more = alert.issues.length - shown.length;
      const problems = `${shown.join('\n')}${more > 0 ? `\n… and ${more} more` : ''}`;
      const kept = alert.keptPolicies === 1 ? '1 policy' : `${alert.keptPolicies} policies`;
      return {
        text: `Budget policy file invalid: ${title} (${alert.issues.length} ${alert.issues.length === 1 ? 'problem' : 'problems'}); the last valid policies stay in force`,
        blocks: [
          header(`:x: Budget policy file invalid: ${title}`),
          section(
            `The change was not applied: the last valid set (${kept}) stays in force until the files are fixed. Check them with \`gpusched policies check ${escapeMrkdwn(alert.dir)}\`.`,
          ),
          section(`\`\`\`${clip(escapeMrkdwn(problems), SECTION_MAX - 6)}\`\`\``),
          context(`Policy folder ${escapeMrkdwn(alert.dir)} · ${escapeMrkdwn(alert.at)}`),
        ],
      };
    }
    case 'gpu-idle':
      return gpuIdleMessage(alert);
    case 'job-failing':
      return jobFailingMessage(alert);
    case 'price-jump':
      return priceJumpMessage(alert);
    case 'test':
      return {
        text: `gpusched test message for webhook ${alert.webhook}`,
        blocks: [
          header(':white_check_mark: gpusched test message'),
          section(
            `Budget alerts from gpusched reach this channel through the webhook *${escapeMrkdwn(alert.webhook)}*. Nothing to do.`,
          ),
          context(`Sent by \`gpusched alerts test\` at ${escapeMrkdwn(alert.sentAt)}`),
        ],
      };
  }
}

/** What a limit's action does, in words. */
export function actionTaken(action: BudgetAction, periodEnd: string, affectedJobs?: number): string {
  switch (action) {
    case 'alert':
      return 'alert only; jobs keep running and new jobs are still admitted';
    case 'block-new':
      return `new jobs in scope are held until the period ends ${periodEnd}; running jobs continue`;
    case 'spot-only':
      return `new jobs in scope run on spot capacity only until the period ends ${periodEnd}`;
    case 'suspend': {
      const count =
        affectedJobs === undefined ? '' : ` (${affectedJobs} ${affectedJobs === 1 ? 'job' : 'jobs'})`;
      return `running jobs in scope are checkpointed and stopped${count}, and new jobs are held until the period ends ${periodEnd}`;
    }
  }
}

function facts(alert: BudgetFacts): SlackBlock {
  return {
    type: 'section',
    fields: [
      field('Scope', alert.scope),
      field('Period', `${alert.period} ${alert.periodKey} (${alert.timezone})`),
      field('Committed', usd(alert.committedUsd)),
      field('At the limit', alert.action),
    ],
  };
}

function footer(alert: BudgetFacts): SlackBlock {
  const where = alert.source === undefined ? '' : ` (${alert.source})`;
  return context(
    `Policy ${escapeMrkdwn(alert.policy)}${escapeMrkdwn(where)} · period ends ${escapeMrkdwn(at(new Date(alert.periodEnd), alert.timezone))}`,
  );
}

function header(text: string): SlackBlock {
  return { type: 'header', text: { type: 'plain_text', text: clip(text, HEADER_MAX), emoji: true } };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SECTION_MAX) } };
}

function field(label: string, value: string): Mrkdwn {
  return { type: 'mrkdwn', text: clip(`*${label}*\n${escapeMrkdwn(value)}`, FIELD_MAX) };
}

function context(text: string): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, SECTION_MAX) }] };
}

function share(alert: BudgetFacts): string {
  return alert.limitUsd > 0 ? `${((alert.spentUsd / alert.limitUsd) * 100).toFixed(1)}%` : 'no limit';
}

function formatPercent(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

/** Slack mrkdwn treats `&`, `<` and `>` as control characters; everything quoted from data is escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function baseName(file: string): string {
  return file.split(/[\\/]/).at(-1) ?? file;
}

function listed(names: readonly string[], max: number): string {
  const unique = [...new Set(names)];
  const shown = unique.slice(0, max).join(', ');
  return unique.length > max ? `${shown} and ${unique.length - max} more` : shown;
}

// Anomaly alerts (alerts/anomaly-alerts.ts): what was seen, what it costs, and the command to look closer.

function gpuIdleMessage(alert: GpuIdleAlert): SlackMessage {
  const util = `${formatPercent(round1(alert.utilizationPercent))}%`;
  const minutes = Math.round(alert.idleMinutes);
  return {
    text: `Job ${alert.jobName} (${alert.jobId}, team ${alert.team}): GPUs idle for ${minutes} min (${util} utilisation, below ${formatPercent(alert.thresholdPercent)}%)`,
    blocks: [
      header(`:zzz: ${alert.jobName}: GPUs idle for ${minutes} min`),
      section(
        `The GPUs of job *${escapeMrkdwn(alert.jobName)}* (\`${escapeMrkdwn(alert.jobId)}\`) have averaged *${util}* utilisation for *${minutes} minutes*, below the ${formatPercent(alert.thresholdPercent)}% threshold, while the job costs *${usd(alert.costPerHour)}/h*. Check that it is not stuck (data, a lock, a dead worker); \`gpusched cancel ${escapeMrkdwn(alert.jobId)}\` stops it.`,
      ),
      {
        type: 'section',
        fields: [
          field('Team', alert.team),
          field('Nodes', alert.nodeIds.join(', ') || '—'),
          field('Run started', alert.runStartedAt),
          field('Idle after', `${formatPercent(alert.minMinutes)} min`),
        ],
      },
      context(`Anomaly: idle GPUs · ${escapeMrkdwn(alert.at)}`),
    ],
  };
}

function jobFailingMessage(alert: JobFailingAlert): SlackMessage {
  const latest = alert.jobIds[0];
  const reason = alert.lastReason === null ? '' : ` Last reason: \`${escapeMrkdwn(alert.lastReason)}\`.`;
  const look = latest === undefined ? '' : ` The latest: \`gpusched job ${escapeMrkdwn(latest)}\`.`;
  return {
    text: `Job ${alert.team}/${alert.jobName} failed ${alert.failures} times in ${formatPercent(alert.windowMinutes)} min`,
    blocks: [
      header(`:repeat: ${alert.team}/${alert.jobName}: failed ${alert.failures} times`),
      section(
        `*${alert.failures}* runs of *${escapeMrkdwn(alert.jobName)}* (team *${escapeMrkdwn(alert.team)}*) failed in the last *${formatPercent(alert.windowMinutes)} minutes* (alerting from ${alert.threshold}).${reason}${look}`,
      ),
      {
        type: 'section',
        fields: [
          field('Team', alert.team),
          field('Job name', alert.jobName),
          field('Failed jobs', alert.jobIds.join(', ') || '—'),
          field('Window from', alert.windowKey),
        ],
      },
      context(`Anomaly: repeated failures · ${escapeMrkdwn(alert.at)}`),
    ],
  };
}

function priceJumpMessage(alert: PriceJumpAlert): SlackMessage {
  const where = `${alert.cloud} ${alert.region}${alert.zone ? ` ${alert.zone}` : ''}`;
  const up = `+${formatPercent(round1(alert.increasePercent))}%`;
  const jobs = alert.jobIds.length === 0 ? 'none' : alert.jobIds.join(', ');
  return {
    text: `Price jump: ${alert.market} ${alert.instanceType} in ${where} is ${usd(alert.pricePerHour)}/h, ${up} over its node's launch price of ${usd(alert.launchPricePerHour)}/h`,
    blocks: [
      header(`:chart_with_upwards_trend: Price jump: ${alert.instanceType} ${alert.market} in ${where}`),
      section(
        `The ${escapeMrkdwn(alert.market)} price of *${escapeMrkdwn(alert.instanceType)}* in *${escapeMrkdwn(where)}* is now *${usd(alert.pricePerHour)}/h*, *${up}* over the ${usd(alert.launchPricePerHour)}/h node \`${escapeMrkdwn(alert.nodeId)}\` was launched at (alerting from +${formatPercent(alert.thresholdPercent)}%). Consolidation may move its work; \`gpusched nodes\` shows the fleet.`,
      ),
      {
        type: 'section',
        fields: [
          field('Pool', alert.pool),
          field('Node', alert.nodeId),
          field('Jobs on it', jobs),
          field('Observed', alert.observedAt),
        ],
      },
      context(`Anomaly: price jump · ${escapeMrkdwn(alert.at)}`),
    ],
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
