/**
 * The container and Kubernetes manifests agree with the service: probes ask the health names the server
 * publishes, env names are ones the config reads, the drain fits the grace period. Parsing only; no cluster.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ENV_VARS } from '../../src/config/service-config.js';

type Doc = Record<string, any>;
const dir = 'deploy/base';
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const docs: Doc[] = files.flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
  return d.toJS() as Doc;
}));
const find = (kind: string, name: string): Doc => {
  const d = docs.find((x) => x['kind'] === kind && x['metadata']?.name === name);
  if (!d) throw new Error(`no ${kind} ${name} in ${dir}/`);
  return d;
};
const kustomization = docs.find((x) => x['kind'] === 'Kustomization') as Doc;
const deployment = find('Deployment', 'hub-inference');
const pod = deployment['spec'].template.spec;
const container = pod.containers[0];
const podLabels = deployment['spec'].template.metadata.labels as Record<string, string>;
const selects = (selector: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
const configEnv: Record<string, string> = Object.fromEntries(
  (kustomization['configMapGenerator'][0].literals as string[]).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

describe('deploy/ Kubernetes manifests', () => {
  it('parse, and the kustomization lists every manifest file that exists', () => {
    const resources = kustomization['resources'] as string[];
    for (const r of resources) expect(existsSync(path.join(dir, r)), r).toBe(true);
    expect([...resources, 'kustomization.yaml'].sort()).toEqual([...files].sort());
  });

  it('probe the server with native gRPC health checks on the gRPC port, overall service ""', () => {
    expect(container.ports).toContainEqual({ name: 'grpc', containerPort: 50051, protocol: 'TCP' });
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container[probe]?.grpc, probe).toEqual({ port: 50051, service: '' });
    }
    expect(configEnv['HUB_GRPC_ADDRESS']).toBe('0.0.0.0:50051');
  });

  it('give the pod more grace than preStop plus the configured drain', () => {
    const preStop = container.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const drainSeconds = Number(configEnv['HUB_SHUTDOWN_TIMEOUT_MS']) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + drainSeconds);
  });

  it('set only environment variables the service reads', () => {
    const names = [...Object.keys(configEnv), ...(container.env as { name: string }[]).map((e) => e.name)];
    expect(names.filter((n) => !(n in ENV_VARS))).toEqual([]);
    expect(Number(configEnv['HUB_WORKERS'])).toBe(Number(container.resources.limits.cpu));
  });

  it('wire REDIS_URL to the Redis Service, and every Service, the PDB and the HPA to the server pods', () => {
    const redis = find('Service', 'hub-redis');
    expect(configEnv['REDIS_URL']).toBe(`redis://hub-redis:${redis['spec'].ports[0].port}`);
    expect(find('Service', 'hub-inference-headless')['spec'].clusterIP).toBe('None');
    for (const name of ['hub-inference', 'hub-inference-headless']) expect(selects(find('Service', name)['spec'].selector), name).toBe(true);
    expect(selects(find('PodDisruptionBudget', 'hub-inference')['spec'].selector.matchLabels)).toBe(true);
    expect(selects(deployment['spec'].selector.matchLabels)).toBe(true);
    expect(find('HorizontalPodAutoscaler', 'hub-inference')['spec'].scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'hub-inference' });
    // The HPA scales on CPU: the idle spinner's busy core at one caller must not read as load.
    expect(find('HorizontalPodAutoscaler', 'hub-inference')['spec'].metrics[0].resource.name).toBe('cpu');
    expect(configEnv['HUB_IDLE_SPIN_US']).toBe('0');
  });
});

describe('deploy/gpu overlay', () => {
  const overlay = parseAllDocuments(readFileSync('deploy/gpu/kustomization.yaml', 'utf8'))[0]!.toJS() as Doc;

  it('builds on the base with the GPU image, the CUDA provider, one GPU and the GPU image user', () => {
    expect(overlay['resources']).toEqual(['../base']);
    expect(overlay['images']).toContainEqual({ name: 'hub-inference', newName: 'hub-inference', newTag: 'gpu' });
    const literals = overlay['configMapGenerator'][0].literals as string[];
    expect(literals).toContain('HUB_EXECUTION_PROVIDER=cuda');
    expect(literals.map((l) => l.split('=')[0]!).filter((n) => !(n in ENV_VARS))).toEqual([]);
    const ops = parseAllDocuments(overlay['patches'][0].patch)[0]!.toJS() as { path: string; value: unknown }[];
    expect(ops.find((o) => o.path.endsWith('nvidia.com~1gpu'))?.value).toBe('1');
    const uid = /useradd --uid (\d+)/.exec(readFileSync('Dockerfile.gpu', 'utf8'))?.[1];
    expect(ops.find((o) => o.path.endsWith('securityContext/runAsUser'))?.value).toBe(Number(uid));
  });
});

describe('Dockerfiles', () => {
  for (const file of ['Dockerfile.cpu', 'Dockerfile.gpu']) {
    const text = readFileSync(file, 'utf8');
    it(`${file}: health-checks through the compiled probe, exposes gRPC and metrics, runs unprivileged`, () => {
      const hc = /HEALTHCHECK[^\n]*\\\n\s*CMD \["node", "dist\/src\/health\/probe\.js", "127\.0\.0\.1:50051"\]/.exec(text);
      expect(hc).not.toBeNull();
      expect(existsSync('src/health/probe.ts')).toBe(true);
      expect(text).toMatch(/^EXPOSE 50051 9464$/m);
      const user = [...text.matchAll(/^USER (\S+)$/gm)].at(-1)?.[1];
      expect(user && user !== 'root' && user !== '0').toBe(true);
      const envNames = [...text.matchAll(/\b(HUB_[A-Z0-9_]+)=/g)].map((m) => m[1]!);
      expect(envNames.filter((n) => !(n in ENV_VARS))).toEqual([]);
      expect(text).toMatch(/npm ci --omit=dev/);
    });
  }
});

describe('deploy/kserve: ServingRuntime + InferenceService (not applied: no cluster here)', () => {
  const load = (f: string): Doc => {
    const [doc, ...rest] = parseAllDocuments(readFileSync(path.join('deploy/kserve', f), 'utf8'));
    expect(rest).toEqual([]);
    if (doc!.errors.length > 0) throw new Error(`${f}: ${doc!.errors.map((e) => e.message).join('; ')}`);
    return doc!.toJS() as Doc;
  };
  const runtime = load('serving-runtime.yaml');
  const isvc = load('inference-service.yaml');
  const c = runtime['spec'].containers[0];
  const env: Record<string, string> = Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
  const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

  it('is a KServe ServingRuntime for ONNX on the Open Inference Protocol over gRPC, and an InferenceService that uses it', () => {
    expect([runtime['apiVersion'], runtime['kind']]).toEqual(['serving.kserve.io/v1alpha1', 'ServingRuntime']);
    expect([isvc['apiVersion'], isvc['kind']]).toEqual(['serving.kserve.io/v1beta1', 'InferenceService']);
    expect(runtime['spec'].protocolVersions).toEqual(['grpc-v2']);
    const model = isvc['spec'].predictor.model;
    expect(model.runtime).toBe(runtime['metadata'].name);
    expect(model.protocolVersion).toBe('grpc-v2');
    expect(runtime['spec'].supportedModelFormats).toContainEqual(expect.objectContaining(model.modelFormat));
    expect(String(model.storageUri)).toMatch(/^[a-z0-9]+:\/\//);
    expect(c.name).toBe('kserve-container');
  });

  it('runs the CPU image the base kustomization deploys, with only variables the service reads', () => {
    const image = (kustomization['images'] as { name: string; newName: string; newTag: string }[]).find((i) => i.name === container.image)!;
    expect(c.image).toBe(`${image.newName}:${image.newTag}`);
    expect(Object.keys(env).filter((n) => !(n in ENV_VARS))).toEqual([]);
    // The storage initializer puts the storageUri at /mnt/models; the service must read its repository there.
    expect(env['HUB_MODEL_REPOSITORY']).toBe('/mnt/models');
    expect(Number(env['HUB_WORKERS'])).toBe(Number(c.resources.limits.cpu));
    expect(env['HUB_IDLE_SPIN_US']).toBe('0');
    expect(c.securityContext.runAsUser).toBe(pod.securityContext.runAsUser);
  });

  it('exposes the gRPC port the server listens on as h2c, probes readiness there, and scrapes the metrics port', () => {
    const grpcPort = portOf(env['HUB_GRPC_ADDRESS']!);
    expect(c.ports).toEqual([{ name: 'h2c', containerPort: grpcPort, protocol: 'TCP' }]);
    expect(container.ports).toContainEqual(expect.objectContaining({ containerPort: grpcPort }));
    expect(readFileSync('Dockerfile.cpu', 'utf8')).toMatch(new RegExp(`^EXPOSE .*\\b${grpcPort}\\b`, 'm'));
    expect(c.readinessProbe.grpc).toEqual({ port: grpcPort, service: '' });
    expect(Number(runtime['spec'].annotations['prometheus.kserve.io/port'])).toBe(portOf(env['HUB_METRICS_ADDRESS']!));
  });
});
