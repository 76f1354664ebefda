/**
 * Encodes Open Inference Protocol requests for load generators that speak raw HTTP/2 (h2load): proto3-JSON (the
 * `data` of an OIP ghz config) -> protobuf bytes, with protobufjs over proto/inference/grpc_service.proto, so the
 * bytes are what any OIP client sends. The hub.inference.v1 counterpart is grpc-codec.ts.
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import { protoRoot } from '../../src/proto/hub-proto.js';
import { OIP_PROTO_FILE, OIP_SERVICE_NAME } from '../../src/kserve/oip-proto.js';

/** HTTP/2 :path of an OIP method (/<service>/<method>). */
export function oipMethodPath(method: string): string {
  return `/${OIP_SERVICE_NAME}/${method}`;
}

let root: protobuf.Root | undefined;

/** The protobufjs root of the OIP proto, with the .proto's own field names (loaded once). */
export function oipProtoRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.loadSync(path.join(protoRoot(), OIP_PROTO_FILE), { keepCase: true });
    root.resolveAll();
  }
  return root;
}

/** The request message type of an OIP method. */
function requestType(method: string): protobuf.Type {
  const m = oipProtoRoot().lookupService(OIP_SERVICE_NAME).methods[method];
  if (!m) throw new Error(`${OIP_SERVICE_NAME} has no method ${method}`);
  return (m.resolve() as protobuf.Method).resolvedRequestType as protobuf.Type;
}

/**
 * Encodes a proto3-JSON request (snake_case names, bytes as base64, int64 as strings). Unknown top-level fields are
 * an error so a typo in a config cannot silently send an empty request.
 */
export function encodeOipRequest(method: string, json: Record<string, unknown>): Uint8Array {
  const type = requestType(method);
  for (const key of Object.keys(json)) {
    if (!type.fields[key]) throw new Error(`invalid ${type.name}: unknown field "${key}"`);
  }
  const msg = type.fromObject(json);
  const err = type.verify(type.toObject(msg));
  if (err) throw new Error(`invalid ${type.name}: ${err}`);
  return type.encode(msg).finish();
}
