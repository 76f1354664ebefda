#!/usr/bin/env node
/**
 * Container health probe: `node dist/src/health/probe.js [host:port] [service]` calls grpc.health.v1 Check
 * (default 127.0.0.1:50051, service "") and exits 0 when SERVING, 1 otherwise. Used by the Dockerfiles'
 * HEALTHCHECK because grpc_health_probe is not in the image; Kubernetes uses its native grpc probe instead.
 */
import { checkHealth } from './check-health.js';

const [address = '127.0.0.1:50051', service = ''] = process.argv.slice(2);
const result = await checkHealth(address, { service, timeoutMs: 3000 });
if (result !== 'SERVING') process.stderr.write(`health ${address} "${service}": ${result}\n`);
process.exitCode = result === 'SERVING' ? 0 : 1;
