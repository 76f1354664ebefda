/** The Open Inference Protocol (KServe v2) service: what the composition root and the gRPC server wire. */
export { createKserveService, type KserveServiceDeps } from './kserve-service.js';
export { OIP_SERVICE_NAME, oipReflectionDefinition, oipServiceDefinition } from './oip-proto.js';
