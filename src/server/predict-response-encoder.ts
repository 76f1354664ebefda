/**
 * Encodes the PredictResponse the Predict handler built, without proto-loader's `fromObject` pass (the same
 * reasoning as the OIP encoder in src/kserve/oip-proto.ts). That pass walks the whole object, creates a message
 * instance per tensor and converts every uint64 timing field through Long; on a tiny model it was a visible share
 * of a call's time on the gRPC thread. The handler builds the response from known runtime types (strings,
 * numbers, Buffers, enum names); only the enum names need converting to their numbers before encoding, and the
 * result is the same message (test/unit/server/predict-response-encoder.test.ts decodes it with proto-loader).
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_FILE, protoRoot } from '../proto/hub-proto.js';

interface Encoder {
  readonly type: protobuf.Type;
  readonly dataType: Readonly<Record<string, number>>;
  readonly variant: Readonly<Record<string, number>>;
}

let encoder: Encoder | undefined;

function load(): Encoder {
  const root = new protobuf.Root();
  root.loadSync(path.join(protoRoot(), PROTO_FILE), { keepCase: false });
  root.resolveAll();
  return {
    type: root.lookupType('hub.inference.v1.PredictResponse'),
    dataType: root.lookupEnum('hub.inference.v1.DataType').values,
    variant: root.lookupEnum('hub.inference.v1.Variant').values,
  };
}

/** An output tensor as the handler builds it (tensor-codec.ts `encodeTensor`). */
interface OutTensor { dtype: string | number }
/** The response as the handler builds it. */
interface Response { variant: string | number; outputs: OutTensor[] }

/** Encodes a handler-built PredictResponse (enum fields by name) to protobuf bytes. */
export function encodePredictResponse(value: object): Buffer {
  encoder ??= load();
  const r = value as Response;
  const msg = { ...r, variant: typeof r.variant === 'string' ? encoder.variant[r.variant] ?? 0 : r.variant,
    outputs: r.outputs.map((t) => ({ ...t, dtype: typeof t.dtype === 'string' ? (encoder as Encoder).dataType[t.dtype] ?? 0 : t.dtype })) };
  return encoder.type.encode(msg as unknown as protobuf.Message).finish() as Buffer;
}
