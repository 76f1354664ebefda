/**
 * Encodes hub.inference.v1 messages for load generators that speak raw HTTP/2 (h2load, the node:http2
 * driver): proto3-JSON (the same `data` a ghz config carries) -> protobuf bytes -> gRPC length-prefixed
 * frame. protobufjs loads the public proto, so the bytes are exactly what any gRPC client would send.
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import { protoRoot, PROTO_FILE } from '../../src/proto/hub-proto.js';

/** The fully-qualified gRPC service name the benchmarks call. */
export const SERVICE_NAME = 'hub.inference.v1.InferenceService';

/** HTTP/2 :path of a method of the service (gRPC over HTTP/2 spec: /<service>/<method>). */
export function methodPath(method: string): string {
  return `/${SERVICE_NAME}/${method}`;
}

let root: protobuf.Root | undefined;

/** The protobufjs root of the public proto (loaded once). */
export function protoRootObject(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    const dir = protoRoot();
    // Resolve imports under proto/ the way protoc's -I does.
    root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
    root.loadSync(PROTO_FILE, { keepCase: false });
    root.resolveAll();
  }
  return root;
}

/** The request message type of a method, e.g. PredictRequest for Predict. */
export function requestType(method: string): protobuf.Type {
  const svc = protoRootObject().lookupService(SERVICE_NAME);
  const m = svc.methods[method];
  if (!m) throw new Error(`${SERVICE_NAME} has no method ${method}`);
  return (m.resolve() as protobuf.Method).resolvedRequestType as protobuf.Type;
}

/**
 * Encodes a proto3-JSON request (bytes as base64, enums by name, int64 as strings) to protobuf bytes.
 * Unknown fields are an error so a typo in a ghz config cannot silently send an empty request.
 */
export function encodeRequest(method: string, json: Record<string, unknown>): Uint8Array {
  const type = requestType(method);
  const err = type.verify(jsonToVerifiable(type, json));
  if (err) throw new Error(`invalid ${type.name}: ${err}`);
  for (const key of Object.keys(json)) {
    if (!type.fields[key]) throw new Error(`invalid ${type.name}: unknown field "${key}"`);
  }
  return type.encode(type.fromObject(json)).finish();
}

// verify() wants runtime types (Uint8Array for bytes, numbers for enums); fromObject converts proto3-JSON
// into exactly that, so verify the converted message.
function jsonToVerifiable(type: protobuf.Type, json: Record<string, unknown>): Record<string, unknown> {
  return type.toObject(type.fromObject(json), { defaults: false }) as Record<string, unknown>;
}

/** Wraps protobuf bytes in a gRPC message frame: 1 byte compressed-flag 0, 4 bytes big-endian length. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Decodes the response messages of a gRPC body (one or more frames). */
export function decodeFrames(method: string, body: Buffer): Record<string, unknown>[] {
  const svc = protoRootObject().lookupService(SERVICE_NAME);
  const m = svc.methods[method];
  if (!m) throw new Error(`${SERVICE_NAME} has no method ${method}`);
  const type = (m.resolve() as protobuf.Method).resolvedResponseType as protobuf.Type;
  const out: Record<string, unknown>[] = [];
  let off = 0;
  while (off + 5 <= body.length) {
    const len = body.readUInt32BE(off + 1);
    const msg = body.subarray(off + 5, off + 5 + len);
    out.push(type.toObject(type.decode(msg), { longs: String, enums: String, bytes: String }) as Record<string, unknown>);
    off += 5 + len;
  }
  return out;
}
