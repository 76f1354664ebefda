/** hub-inference package entry: the client SDK and the health check helpers for backend services. */
export * from './client/index.js';
export { checkHealth, INFERENCE_HEALTH_SERVICE, modelHealthService, type CheckHealthOptions, type HealthResult } from './health/index.js';
