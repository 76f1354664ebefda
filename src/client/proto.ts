/**
 * Loads the public proto (hub.inference.v1) for the client SDK. Independent of the server's loader so the
 * SDK never imports server code; the proto is found relative to this file (src/client and dist/src/client).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILE } from '../server/proto-definition.js';


// Same loader options as the server (camelCase, int64 as exact decimal strings, enums by name, bytes as
// Buffer): the SDK turns shapes and timings into numbers and int64 data into BigInt64Array.

/** A unary method of the dynamic stub, in grpc-js callback style. */
export type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/** The dynamic grpc-js stub of hub.inference.v1.InferenceService. */
export type InferenceStub = grpc.Client & Record<'Predict' | 'ListModels' | 'GetModelMetadata' | 'LoadModel' | 'UnloadModel', UnaryMethod>;

/** Constructor of the stub: new (address, credentials, channel options). */
export type InferenceStubConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => InferenceStub;

function findProtoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'proto');
    if (existsSync(path.join(candidate, PROTO_FILE))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find proto/${PROTO_FILE} above ${fileURLToPath(import.meta.url)}; pass protoDir`);
}

const constructors = new Map<string, InferenceStubConstructor>();

/** The stub constructor, loaded once per proto root (`protoDir` overrides the search). */
export function inferenceStubConstructor(protoDir?: string): InferenceStubConstructor {
  const root = protoDir ?? findProtoRoot();
  let ctor = constructors.get(root);
  if (!ctor) {
    const def = protoLoader.loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [root] });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { hub: { inference: { v1: { InferenceService: InferenceStubConstructor } } } };
    ctor = pkg.hub.inference.v1.InferenceService;
    constructors.set(root, ctor);
  }
  return ctor;
}
