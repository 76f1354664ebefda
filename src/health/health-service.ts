/**
 * grpc.health.v1 for hub-inference, over grpc-health-check's HealthImplementation. Naming:
 *   ""                                      overall readiness (what load balancers and k8s probes ask)
 *   "hub.inference.v1.InferenceService"     the inference API; follows overall
 *   "hub.inference.v1.InferenceService/<m>" model <m> is loaded and ready
 * Everything starts NOT_SERVING; unknown names answer NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch).
 */
import type * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

/** Health name of the inference API. */
export const INFERENCE_HEALTH_SERVICE = 'hub.inference.v1.InferenceService';

/** Health name of one model. */
export function modelHealthService(model: string): string {
  return `${INFERENCE_HEALTH_SERVICE}/${model}`;
}

/** The service's health registry. */
export interface Health {
  /** Registers grpc.health.v1.Health (Check and Watch) on a server. */
  addToServer(server: grpc.Server): void;
  /** Sets one health name. */
  setServing(service: string, serving: boolean): void;
  /** Sets "" and the inference API name together. */
  setOverall(serving: boolean): void;
  /** Sets one model's name. */
  setModel(model: string, serving: boolean): void;
  /** Sets every name registered so far (shutdown flips everything to NOT_SERVING at once). */
  setAll(serving: boolean): void;
  /** The current status of a name, or undefined when unknown. */
  status(service: string): ServingStatus | undefined;
}

/** Creates the health registry with "", the API name and each model NOT_SERVING. */
export function createHealth(models: readonly string[] = []): Health {
  const statuses = new Map<string, ServingStatus>();
  const initial: Record<string, ServingStatus> = { '': 'NOT_SERVING', [INFERENCE_HEALTH_SERVICE]: 'NOT_SERVING' };
  for (const m of models) initial[modelHealthService(m)] = 'NOT_SERVING';
  for (const [k, v] of Object.entries(initial)) statuses.set(k, v);
  const impl = new HealthImplementation(initial);
  const set = (service: string, serving: boolean): void => {
    const s: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    statuses.set(service, s);
    impl.setStatus(service, s);
  };
  return {
    addToServer: (server) => impl.addToServer(server),
    setServing: set,
    setOverall: (serving) => { set('', serving); set(INFERENCE_HEALTH_SERVICE, serving); },
    setModel: (model, serving) => set(modelHealthService(model), serving),
    setAll: (serving) => { for (const k of [...statuses.keys()]) set(k, serving); },
    status: (service) => statuses.get(service),
  };
}
