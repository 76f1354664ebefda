/**
 * The public proto (hub.inference.v1), found and loaded in one place for the server, reflection, the client
 * SDK, the bench and the tests. Field names are camelCase in the loaded definition (proto-loader's
 * `keepCase: false`); the generated TypeScript types in ./generated/ describe the same objects.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';

/** Path of the proto relative to the repository root. */
export const PROTO_FILE = 'hub/inference/v1/inference.proto';

/** Finds the repository's proto/ directory from this file's location (works from src/proto and dist/src/proto). */
export function protoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'proto');
    if (existsSync(path.join(candidate, PROTO_FILE))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find proto/${PROTO_FILE} above ${fileURLToPath(import.meta.url)}`);
}

/** Loader options: camelCase fields, int64 as strings (exact), enums by name, bytes as Buffer. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  oneofs: true,
};

let cached: protoLoader.PackageDefinition | undefined;

/** The package definition of hub.inference.v1. */
export function loadPackageDefinition(): protoLoader.PackageDefinition {
  if (!cached) cached = protoLoader.loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  return cached;
}

/** grpc.health.v1's proto, as the grpc-health-check package ships it. */
function healthProtoFile(): string {
  return createRequire(import.meta.url).resolve('grpc-health-check/proto/health/v1/health.proto');
}

let reflected: protoLoader.PackageDefinition | undefined;

/**
 * What server reflection describes: hub.inference.v1 with the .proto's own field names (`keepCase`, so
 * grpcurl and ghz accept both `float_data` and `floatData` in JSON, as protojson allows) and
 * grpc.health.v1, so health checks need no proto file either.
 */
export function reflectionPackageDefinition(): protoLoader.PackageDefinition {
  reflected ??= protoLoader.loadSync([PROTO_FILE, healthProtoFile()], { ...LOADER_OPTIONS, keepCase: true, includeDirs: [protoRoot()] });
  return reflected;
}
