// Launch, terminate and list EC2 instances. Idempotency comes from EC2 itself: the node id is the
// RunInstances ClientToken, so a launch retried after a crash returns the instance the first one
// started (EC2 remembers the token per region).
import {
  DescribeInstancesCommand,
  type EC2Client,
  type Instance as Ec2Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { isCloudError } from '../errors.js';
import type { CapacityProvider, Instance, LaunchRequest } from '../ports.js';
import type { AwsClients } from './clients.js';
import { awsCall, malformed } from './errors.js';
import { paginate } from './fetch.js';
import {
  CLUSTER_TAG,
  isSpotInterrupted,
  parseProviderId,
  reasonTime,
  runInstancesInput,
  toInstance,
} from './instances.js';
import type { ResolvedAwsOptions } from './options.js';

export class AwsCapacity implements CapacityProvider {
  readonly name = 'aws';
  /**
   * When each reclaimed spot instance was first seen reclaimed, for instances whose StateTransitionReason
   * carries no time. Rebuilt on every list, so it holds only instances EC2 still shows.
   */
  private interruptedSeen = new Map<string, string>();

  constructor(
    private readonly clients: AwsClients,
    private readonly opts: ResolvedAwsOptions,
  ) {}

  async launch(req: LaunchRequest): Promise<Instance> {
    const input = runInstancesInput(req, this.opts);
    const region = req.offer.region;
    const at = { api: 'RunInstances', region };
    const out = await awsCall(at, () => this.ec2(region).send(new RunInstancesCommand(input)));
    const first = out.Instances?.[0];
    if (!first) throw malformed(at, 'no instance in the reservation');
    const inst = toInstance(region, first, at, {
      nodeId: req.nodeId,
      interruptedAt: this.interruptedAt(region, first),
      now: this.opts.now(),
    });
    if (!inst) throw malformed(at, 'instance without node id');
    return inst;
  }

  async terminate(providerId: string): Promise<void> {
    const { region, instanceId } = parseProviderId(providerId);
    try {
      await awsCall({ api: 'TerminateInstances', region }, () =>
        this.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
      );
    } catch (e) {
      // Gone already (EC2 forgets terminated instances after about an hour): that is what we wanted.
      if (isCloudError(e, 'NotFound')) return;
      throw e;
    }
  }

  /** Every instance tagged with our cluster in every configured region; one region failing fails the list. */
  async list(): Promise<Instance[]> {
    const seen = new Map<string, string>();
    const perRegion = await Promise.all(this.opts.regions.map((r) => this.listRegion(r, seen)));
    this.interruptedSeen = seen;
    return perRegion.flat();
  }

  billableHours(from: Date, to: Date): number {
    // EC2 bills Linux per second (60 s minimum, which this ignores): wall-clock hours.
    return Math.max(0, to.getTime() - from.getTime()) / 3_600_000;
  }

  private async listRegion(region: string, seen: Map<string, string>): Promise<Instance[]> {
    const at = { api: 'DescribeInstances', region };
    const reservations = await paginate(at, async (NextToken) => {
      const out = await this.ec2(region).send(
        new DescribeInstancesCommand({
          Filters: [{ Name: `tag:${CLUSTER_TAG}`, Values: [this.opts.clusterTag] }],
          MaxResults: 1000,
          NextToken,
        }),
      );
      return { items: out.Reservations, next: out.NextToken };
    });
    const now = this.opts.now();
    const out: Instance[] = [];
    for (const r of reservations.flatMap((res) => res.Instances ?? [])) {
      const interruptedAt = this.interruptedAt(region, r, now);
      if (interruptedAt && r.InstanceId) seen.set(`${region}/${r.InstanceId}`, interruptedAt);
      const inst = toInstance(region, r, at, { interruptedAt, now });
      if (inst) out.push(inst);
    }
    return out;
  }

  private interruptedAt(region: string, r: Ec2Instance, now = this.opts.now()): string | null {
    if (!isSpotInterrupted(r)) return null;
    return (
      reasonTime(r.StateTransitionReason) ??
      this.interruptedSeen.get(`${region}/${r.InstanceId}`) ??
      now.toISOString()
    );
  }

  private ec2(region: string): EC2Client {
    return this.clients.ec2(region);
  }
}
