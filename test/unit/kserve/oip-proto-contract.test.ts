/**
 * proto/inference/grpc_service.proto against the published Open Inference Protocol (and Triton's repository
 * extension): every message, field name, number and type that clients compile against, transcribed by hand from
 * the specification. A renamed or renumbered field breaks tritonclient and KServe callers silently; it fails here.
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import protobuf from 'protobufjs';

const root = new protobuf.Root();
root.loadSync(path.resolve('proto/inference/grpc_service.proto'), { keepCase: true });
root.resolveAll();

/** "field=number:type", "repeated " prefix for repeated fields, "map<key," for maps. */
const SPEC: Record<string, string[]> = {
  ServerLiveRequest: [],
  ServerLiveResponse: ['live=1:bool'],
  ServerReadyRequest: [],
  ServerReadyResponse: ['ready=1:bool'],
  ModelReadyRequest: ['name=1:string', 'version=2:string'],
  ModelReadyResponse: ['ready=1:bool'],
  ServerMetadataRequest: [],
  ServerMetadataResponse: ['name=1:string', 'version=2:string', 'extensions=3:repeated string'],
  ModelMetadataRequest: ['name=1:string', 'version=2:string'],
  'ModelMetadataResponse.TensorMetadata': ['name=1:string', 'datatype=2:string', 'shape=3:repeated int64'],
  ModelMetadataResponse: ['name=1:string', 'versions=2:repeated string', 'platform=3:string', 'inputs=4:repeated TensorMetadata', 'outputs=5:repeated TensorMetadata', 'properties=6:map<string,string>'],
  'ModelInferRequest.InferInputTensor': ['name=1:string', 'datatype=2:string', 'shape=3:repeated int64', 'parameters=4:map<string,InferParameter>', 'contents=5:InferTensorContents'],
  'ModelInferRequest.InferRequestedOutputTensor': ['name=1:string', 'parameters=2:map<string,InferParameter>'],
  ModelInferRequest: ['model_name=1:string', 'model_version=2:string', 'id=3:string', 'parameters=4:map<string,InferParameter>', 'inputs=5:repeated InferInputTensor', 'outputs=6:repeated InferRequestedOutputTensor', 'raw_input_contents=7:repeated bytes'],
  'ModelInferResponse.InferOutputTensor': ['name=1:string', 'datatype=2:string', 'shape=3:repeated int64', 'parameters=4:map<string,InferParameter>', 'contents=5:InferTensorContents'],
  ModelInferResponse: ['model_name=1:string', 'model_version=2:string', 'id=3:string', 'parameters=4:map<string,InferParameter>', 'outputs=5:repeated InferOutputTensor', 'raw_output_contents=6:repeated bytes'],
  InferParameter: ['bool_param=1:bool', 'int64_param=2:int64', 'string_param=3:string', 'double_param=4:double', 'uint64_param=5:uint64'],
  InferTensorContents: ['bool_contents=1:repeated bool', 'int_contents=2:repeated int32', 'int64_contents=3:repeated int64', 'uint_contents=4:repeated uint32', 'uint64_contents=5:repeated uint64', 'fp32_contents=6:repeated float', 'fp64_contents=7:repeated double', 'bytes_contents=8:repeated bytes'],
  ModelRepositoryParameter: ['bool_param=1:bool', 'int64_param=2:int64', 'string_param=3:string', 'bytes_param=4:bytes'],
  RepositoryIndexRequest: ['repository_name=1:string', 'ready=2:bool'],
  'RepositoryIndexResponse.ModelIndex': ['name=1:string', 'version=2:string', 'state=3:string', 'reason=4:string'],
  RepositoryIndexResponse: ['models=1:repeated ModelIndex'],
  RepositoryModelLoadRequest: ['repository_name=1:string', 'model_name=2:string', 'parameters=3:map<string,ModelRepositoryParameter>'],
  RepositoryModelLoadResponse: [],
  RepositoryModelUnloadRequest: ['repository_name=1:string', 'model_name=2:string', 'parameters=3:map<string,ModelRepositoryParameter>'],
  RepositoryModelUnloadResponse: [],
};

const METHODS: Record<string, [string, string]> = {
  ServerLive: ['ServerLiveRequest', 'ServerLiveResponse'],
  ServerReady: ['ServerReadyRequest', 'ServerReadyResponse'],
  ModelReady: ['ModelReadyRequest', 'ModelReadyResponse'],
  ServerMetadata: ['ServerMetadataRequest', 'ServerMetadataResponse'],
  ModelMetadata: ['ModelMetadataRequest', 'ModelMetadataResponse'],
  ModelInfer: ['ModelInferRequest', 'ModelInferResponse'],
  RepositoryIndex: ['RepositoryIndexRequest', 'RepositoryIndexResponse'],
  RepositoryModelLoad: ['RepositoryModelLoadRequest', 'RepositoryModelLoadResponse'],
  RepositoryModelUnload: ['RepositoryModelUnloadRequest', 'RepositoryModelUnloadResponse'],
};

function describeField(f: protobuf.Field): string {
  const type = f.type;
  if (f instanceof protobuf.MapField) return `${f.name}=${f.id}:map<${f.keyType},${type}>`;
  return `${f.name}=${f.id}:${f.repeated ? 'repeated ' : ''}${type}`;
}

describe('proto/inference/grpc_service.proto is the Open Inference Protocol contract', () => {
  it('is package inference with service GRPCInferenceService and exactly the specified methods', () => {
    const svc = root.lookupService('inference.GRPCInferenceService');
    const got = Object.fromEntries(Object.values(svc.methods).map((m) => [m.name, [m.requestType, m.responseType]]));
    expect(got).toEqual(METHODS);
    expect(Object.values(svc.methods).some((m) => m.requestStream || m.responseStream)).toBe(false);
  });

  it.each(Object.keys(SPEC))('%s has exactly the specified fields, numbers and types', (name) => {
    const type = root.lookupType(`inference.${name}`);
    expect(type.fieldsArray.map(describeField).sort()).toEqual([...SPEC[name]!].sort());
  });

  it('has no message beyond the specification', () => {
    const all: string[] = [];
    const walk = (ns: protobuf.NamespaceBase, prefix: string): void => {
      for (const n of ns.nestedArray) {
        if (n instanceof protobuf.Type) { all.push(`${prefix}${n.name}`); walk(n, `${prefix}${n.name}.`); }
      }
    };
    walk(root.lookup('inference') as protobuf.Namespace, '');
    expect(all.sort()).toEqual(Object.keys(SPEC).sort());
  });

  it('keeps InferParameter and ModelRepositoryParameter values in one oneof named parameter_choice', () => {
    for (const t of ['InferParameter', 'ModelRepositoryParameter']) {
      const type = root.lookupType(`inference.${t}`);
      expect(Object.keys(type.oneofs)).toEqual(['parameter_choice']);
      expect(type.oneofs['parameter_choice']!.oneof.sort()).toEqual(type.fieldsArray.map((f) => f.name).sort());
    }
  });
});
