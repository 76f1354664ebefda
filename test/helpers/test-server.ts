/**
 * Starts a real hub-inference server in this process on 127.0.0.1:0 (real gRPC, real worker threads,
 * real ONNX Runtime, real model files) and a raw grpc-js client for it.
 */
import * as grpc from '@grpc/grpc-js';
import { loadServiceConfig, type ServiceConfig } from '../../src/config/service-config.js';
import { startApp, type App } from '../../src/app.js';
import { loadPackageDefinition } from '../../src/proto/hub-proto.js';

/** A started test server. */
export interface TestServer {
  readonly app: App;
  readonly address: string;
  readonly client: RawClient;
  /** Calls a unary RPC and resolves with the response (or rejects with the grpc ServiceError). */
  call<T = any>(method: string, request: unknown, options?: { deadlineMs?: number; metadata?: grpc.Metadata }): Promise<T>;
  close(): Promise<void>;
}

/** The dynamic grpc-js client of InferenceService. */
export type RawClient = grpc.Client & Record<string, (...args: any[]) => grpc.ClientUnaryCall>;

/** Options: any service-config fields (dotted paths allowed) override the test defaults. */
export interface TestServerOptions {
  readonly config?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

/** Builds a test config: silent logs, free port, metrics off, bundled models, 2 workers. */
export function testConfig(options: TestServerOptions = {}): ServiceConfig {
  return loadServiceConfig(options.env ?? {}, {
    grpcAddress: '127.0.0.1:0',
    metricsAddress: '',
    logLevel: 'silent',
    modelRepository: 'models',
    workers: 2,
    shutdownTimeoutMs: 10_000,
    ...options.config,
  });
}

/** Creates a raw client for an address. */
export function createRawClient(address: string): RawClient {
  const pkg = grpc.loadPackageDefinition(loadPackageDefinition()) as any;
  const Ctor = pkg.hub.inference.v1.InferenceService as typeof grpc.Client;
  return new Ctor(address, grpc.credentials.createInsecure()) as RawClient;
}

/** Calls a unary method on a raw client. */
export function callUnary<T = any>(client: RawClient, method: string, request: unknown, options: { deadlineMs?: number; metadata?: grpc.Metadata } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const callOptions: grpc.CallOptions = options.deadlineMs !== undefined ? { deadline: Date.now() + options.deadlineMs } : {};
    const fn = client[method];
    if (!fn) { reject(new Error(`no method ${method}`)); return; }
    fn.call(client, request, options.metadata ?? new grpc.Metadata(), callOptions, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Starts a server with the given overrides. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const app = await startApp(testConfig(options));
  const client = createRawClient(app.grpcAddress);
  return {
    app,
    address: app.grpcAddress,
    client,
    call: (method, request, opts) => callUnary(client, method, request, opts),
    close: async () => {
      client.close();
      await app.shutdown('test done');
    },
  };
}
