/**
 * The client SDK's stub of hub.inference.v1, over the one proto module (src/proto/): the SDK never imports
 * server code.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILE, protoRoot } from '../proto/hub-proto.js';


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

const constructors = new Map<string, InferenceStubConstructor>();

/** The stub constructor, loaded once per proto root (`protoDir` overrides the search). */
export function inferenceStubConstructor(protoDir?: string): InferenceStubConstructor {
  const root = protoDir ?? protoRoot();
  let ctor = constructors.get(root);
  if (!ctor) {
    const def = protoLoader.loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [root] });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { hub: { inference: { v1: { InferenceService: InferenceStubConstructor } } } };
    ctor = pkg.hub.inference.v1.InferenceService;
    constructors.set(root, ctor);
  }
  return ctor;
}
