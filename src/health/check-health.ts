/** One grpc.health.v1 Check call, for the container probe and tests. */
import * as grpc from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';

/** What a Check told us: a serving status, or why there was none. */
export type HealthResult = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN' | 'UNREACHABLE';

/** Options of checkHealth. */
export interface CheckHealthOptions {
  /** Health name to ask about ("" = overall). */
  readonly service?: string;
  /** Deadline of the call (default 2000 ms). */
  readonly timeoutMs?: number;
  readonly credentials?: grpc.ChannelCredentials;
}

type HealthStub = grpc.Client & {
  Check(req: { service: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string | number }) => void): grpc.ClientUnaryCall;
};

const HealthClient = grpc.makeClientConstructor(
  healthServiceDefinition as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (address: string, creds: grpc.ChannelCredentials) => HealthStub;

const BY_NUMBER: readonly HealthResult[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** Calls Check once; never rejects: transport failures are 'UNREACHABLE', unknown names 'SERVICE_UNKNOWN'. */
export function checkHealth(address: string, options: CheckHealthOptions = {}): Promise<HealthResult> {
  const client = new HealthClient(address, options.credentials ?? grpc.credentials.createInsecure());
  return new Promise<HealthResult>((resolve) => {
    client.Check({ service: options.service ?? '' }, { deadline: Date.now() + (options.timeoutMs ?? 2000) }, (err, res) => {
      if (err) resolve(err.code === grpc.status.NOT_FOUND ? 'SERVICE_UNKNOWN' : 'UNREACHABLE');
      else {
        const s = res?.status;
        resolve(typeof s === 'number' ? (BY_NUMBER[s] ?? 'UNKNOWN') : ((s as HealthResult | undefined) ?? 'UNKNOWN'));
      }
    });
  }).finally(() => client.close());
}
