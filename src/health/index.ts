/** grpc.health.v1 for hub-inference: the registry the server wires and the one-shot check the probe uses. */
export { createHealth, modelHealthService, INFERENCE_HEALTH_SERVICE, type Health } from './health-service.js';
export { checkHealth, type CheckHealthOptions, type HealthResult } from './check-health.js';
