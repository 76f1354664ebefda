/** A hub.inference.v1 client for the bench's own unary calls (metadata, admin), beside the load tools. */
import * as grpc from '@grpc/grpc-js';
import { loadPackageDefinition } from '../../src/proto/hub-proto.js';

/** Unary calls by method name; `close` when done. */
export interface HubClient {
  unary<T>(method: string, request: unknown): Promise<T>;
  close(): void;
}

/** An insecure client of the server at `address` (the bench's servers listen on loopback). */
export function hubClient(address: string): HubClient {
  const pkg = grpc.loadPackageDefinition(loadPackageDefinition()) as unknown as { hub: { inference: { v1: { InferenceService: grpc.ServiceClientConstructor } } } };
  const client = new pkg.hub.inference.v1.InferenceService(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, unknown>;
  return {
    unary: <T>(method: string, request: unknown) => new Promise<T>((resolve, reject) => {
      (client[method] as (r: unknown, cb: (e: Error | null, m: T) => void) => void).call(client, request, (e, m) => (e ? reject(e) : resolve(m)));
    }),
    close: () => client.close(),
  };
}
