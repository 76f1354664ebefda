/**
 * The Open Inference Protocol proto (package `inference`), found and loaded in one place for the server,
 * reflection and the bench. Loaded with the same options as hub.inference.v1 (src/proto/hub-proto.ts): camelCase
 * fields, int64 as decimal strings, bytes as Buffer, defaults and empty arrays filled in.
 */
import type * as grpc from '@grpc/grpc-js';
import { loadPackageDefinition as grpcLoad } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, protoRoot } from '../proto/hub-proto.js';

/** Path of the OIP proto relative to proto/. */
export const OIP_PROTO_FILE = 'inference/grpc_service.proto';

/** Fully-qualified name of the OIP service (also its grpc.health.v1 name). */
export const OIP_SERVICE_NAME = 'inference.GRPCInferenceService';

let cached: protoLoader.PackageDefinition | undefined;
let reflected: protoLoader.PackageDefinition | undefined;

/** The package definition of `inference` as the server decodes it. */
export function oipPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(OIP_PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  return cached;
}

/**
 * What server reflection describes for OIP: the .proto's own field names (`keepCase`), so grpcurl and ghz accept
 * both `raw_input_contents` and `rawInputContents` in JSON.
 */
export function oipReflectionDefinition(): protoLoader.PackageDefinition {
  reflected ??= protoLoader.loadSync(OIP_PROTO_FILE, { ...LOADER_OPTIONS, keepCase: true, includeDirs: [protoRoot()] });
  return reflected;
}

/** The GRPCInferenceService definition for `server.addService`. */
export function oipServiceDefinition(): grpc.ServiceDefinition {
  const pkg = grpcLoad(oipPackageDefinition()) as unknown as { inference: { GRPCInferenceService: { service: grpc.ServiceDefinition } } };
  return pkg.inference.GRPCInferenceService.service;
}
