/** Creates and binds the grpc-js server: credentials (insecure, TLS or mTLS), the services, reflection. */
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type * as http2 from 'node:http2';
import { types } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { ServiceConfig } from '../config/service-config.js';
import { loadPackageDefinition, reflectionPackageDefinition } from '../proto/hub-proto.js';
import { oipReflectionDefinition } from '../kserve/index.js';
import { encodePredictResponse } from './predict-response-encoder.js';

/** Server credentials from the TLS settings: insecure when no certificate is configured. */
export function serverCredentials(tls: ServiceConfig['tls']): grpc.ServerCredentials {
  if (!tls.certFile || !tls.keyFile) {
    if (tls.certFile || tls.keyFile || tls.caFile || tls.requireClientCert) {
      throw new Error('tls: both tls.certFile (HUB_TLS_CERT_FILE) and tls.keyFile (HUB_TLS_KEY_FILE) are required for TLS');
    }
    return grpc.ServerCredentials.createInsecure();
  }
  const ca = tls.caFile ? readFileSync(tls.caFile) : null;
  if (tls.requireClientCert && !ca) throw new Error('tls.requireClientCert (mTLS) needs tls.caFile (HUB_TLS_CA_FILE) to verify clients');
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }], tls.requireClientCert);
}

/** The InferenceService definition from the proto. */
export function inferenceServiceDefinition(): grpc.ServiceDefinition {
  const pkg = grpc.loadPackageDefinition(loadPackageDefinition()) as unknown as {
    hub: { inference: { v1: { InferenceService: { service: grpc.ServiceDefinition } } } };
  };
  const service = pkg.hub.inference.v1.InferenceService.service;
  const predict = service['Predict'] as grpc.MethodDefinition<unknown, object>;
  // Predict answers through its own encoder (no fromObject pass; see predict-response-encoder.ts).
  return { ...service, Predict: { ...predict, responseSerialize: encodePredictResponse } };
}

/**
 * A grpc-js server with reflection enabled. `maxReceiveBytes` bounds every incoming message (grpc-js answers a
 * larger one with RESOURCE_EXHAUSTED before it is decoded); the composition root sizes it from the models.
 */
export function createGrpcServer(maxReceiveBytes: number): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxReceiveBytes,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    // channelz (grpc-js's per-call introspection registry) is not served here; off, it no longer costs every call
    // its bookkeeping and garbage (heap sampling at 128 callers: one of the largest allocators per call).
    'grpc.enable_channelz': 0,
  });
  // Reflection lets grpcurl and ghz call the server without the proto files (hub.inference.v1, health and OIP).
  new ReflectionService({ ...reflectionPackageDefinition(), ...oipReflectionDefinition() }).addToServer(server);
  return server;
}

/** Binds the server; resolves with the bound host:port (port 0 picks a free one). */
export function bindServer(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) { reject(new Error(`cannot listen on ${address}: ${err.message}`)); return; }
      const host = address.slice(0, address.lastIndexOf(':'));
      resolve(`${host}:${port}`);
    });
  });
}

/**
 * grpc-js's HTTP/2 listeners, created in bindAsync: its private `http2Servers` map (grpc-js 1.14). Empty when a
 * grpc-js release keeps them otherwise; its users then do without (and their tests fail).
 */
export function http2ListenersOf(server: grpc.Server): EventEmitter[] {
  const listeners = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!types.isMap(listeners)) return [];
  return [...(listeners as Map<unknown, unknown>).keys()].filter((l): l is EventEmitter => l instanceof EventEmitter);
}

/** The HTTP/2 sessions a bound server has open. */
export interface SessionTracker {
  /** How many listeners it watches (0: grpc-js no longer exposes them). */
  readonly listeners: number;
  /** Destroys every session still open (their streams are cancelled); returns how many. */
  destroyAll(): number;
}

/**
 * Tracks the sessions the server accepts from now on, and hands each to `onSession` as it opens (the app's
 * stream-table swap, src/server/stream-table.ts). grpc-js's forceShutdown ends only the sessions it records for
 * channelz, and with channelz off (createGrpcServer) that is none: an idle connection or an open health Watch
 * would outlive the shutdown. The app's shutdown ends them with `destroyAll` after forceShutdown.
 */
export function trackSessions(server: grpc.Server, onSession?: (session: http2.Http2Session) => void): SessionTracker {
  const open = new Set<http2.Http2Session>();
  const listeners = http2ListenersOf(server);
  for (const l of listeners) {
    l.on('session', (session: http2.Http2Session) => {
      open.add(session);
      session.once('close', () => open.delete(session));
      onSession?.(session);
    });
  }
  return {
    listeners: listeners.length,
    destroyAll: () => {
      const n = open.size;
      for (const session of open) session.destroy();
      open.clear();
      return n;
    },
  };
}
