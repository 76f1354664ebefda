import { describe, it, expect } from 'vitest';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { types } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { adoptSessionStreams } from '../../src/server/stream-table.js';
import { http2ListenersOf } from '../../src/server/grpc-server.js';
import { IdTable } from '../../src/util/id-table.js';
import { until } from '../unit/client/fake-inference-server.js';

const scoringCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');

/** The server-side HTTP/2 sessions the app's listeners accept from now on. */
function captureSessions(server: grpc.Server): http2.ServerHttp2Session[] {
  const sessions: http2.ServerHttp2Session[] = [];
  for (const l of http2ListenersOf(server)) l.on('session', (s: http2.ServerHttp2Session) => sessions.push(s));
  return sessions;
}

/** Node's internal session state, where the stream table lives. */
function streamsOf(session: http2.Http2Session): unknown {
  const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state')!;
  return (session as unknown as Record<symbol, { streams: unknown }>)[key]!.streams;
}

/** A gRPC request stream that sends its headers and nothing else, so the server holds it open; over a socket of our own. */
function openIdleStream(address: string): { client: http2.ClientHttp2Session; socket: net.Socket; closed: Promise<void> } {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = net.connect(port, host);
  const client = http2.connect(`http://${address}`, { createConnection: () => socket });
  client.on('error', () => {});
  const stream = client.request({ ':method': 'POST', ':path': '/hub.inference.v1.InferenceService/Predict', 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
  stream.on('error', () => {});
  stream.resume();
  const closed = new Promise<void>((resolve) => stream.on('close', () => resolve()));
  return { client, socket, closed };
}

describe('HTTP/2 stream table', () => {
  it('each accepted session keeps its streams in an IdTable that Node really uses; 200 concurrent predictions over one connection are right', async () => {
    let srv: TestServer | undefined;
    try {
      srv = await startTestServer();
      const sessions = captureSessions(srv.app.server);
      const inputs = Array.from({ length: 200 }, (_, i) => wireInputs(sampleInputs(scoringCfg, 1, i)));
      const alone = await Promise.all(inputs.slice(0, 20).map((x) => srv!.call('Predict', { model: 'lead-scoring', inputs: x, cache: 'CACHE_POLICY_BYPASS' })));
      const together = await Promise.all(inputs.map((x) => srv!.call('Predict', { model: 'lead-scoring', inputs: x, cache: 'CACHE_POLICY_BYPASS' })));
      expect(together.slice(0, 20).map((r) => r.outputs)).toEqual(alone.map((r) => r.outputs));
      expect(sessions).toHaveLength(1);
      const table = streamsOf(sessions[0]!);
      expect(table).toBeInstanceOf(IdTable);
      expect((table as IdTable<unknown>).size).toBe(0);
      const stats = srv.app.streamTable!;
      expect(http2ListenersOf(srv.app.server).length).toBeGreaterThanOrEqual(1);
      expect(stats.adopted).toBe(1);
      expect(stats.unrecognised).toBe(0);

      // An open stream is in the table under its id; a client whose socket goes away has it closed and removed
      // (Node's socketOnClose walks the table with forEach).
      const open = openIdleStream(srv.address);
      await until(() => sessions.length === 2 && (streamsOf(sessions[1]!) as IdTable<unknown>).size === 1, 'the open stream in the second session\'s table');
      const second = streamsOf(sessions[1]!) as IdTable<http2.ServerHttp2Stream>;
      expect(second).toBeInstanceOf(IdTable);
      expect(second.get(1)?.id).toBe(1);
      open.socket.destroy();
      await until(() => second.size === 0, 'the stream removed after the socket loss');
      expect(second.get(1)).toBeUndefined();
      expect(stats.adopted).toBe(2);
      // ...and the server keeps serving.
      const after = await srv.call('Predict', { model: 'lead-scoring', inputs: inputs[0], cache: 'CACHE_POLICY_BYPASS' });
      expect(after.outputs).toEqual(alone[0].outputs);
    } finally {
      await srv?.close();
    }
  });

  it('shutdown ends a connection whose stream never finished (Node destroys its streams with the table\'s forEach)', async () => {
    const srv = await startTestServer();
    const sessions = captureSessions(srv.app.server);
    const open = openIdleStream(srv.address);
    try {
      await until(() => sessions.length === 1 && (streamsOf(sessions[0]!) as IdTable<unknown>).size === 1, 'the open stream in the table');
      const table = streamsOf(sessions[0]!) as IdTable<unknown>;
      expect(table).toBeInstanceOf(IdTable);
      expect((await srv.app.shutdown('test')).cutCalls).toBe(0);
      await Promise.race([open.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('stream still open')), 3000))]); // grpc-js's forceShutdown alone leaves it open (it ends only the sessions it records for channelz)
      expect(table.size).toBe(0);
      expect(sessions[0]!.destroyed).toBe(true);
    } finally {
      open.client.destroy();
      await srv.close();
    }
  });

  it('HUB_COMPACT_STREAM_TABLE=false leaves Node its Map', async () => {
    const srv = await startTestServer({ env: { HUB_COMPACT_STREAM_TABLE: 'false' } });
    try {
      const sessions = captureSessions(srv.app.server);
      await srv.call('ListModels', {});
      expect(sessions).toHaveLength(1);
      expect(types.isMap(streamsOf(sessions[0]!))).toBe(true);
      expect(srv.app.streamTable).toBeUndefined();
    } finally {
      await srv.close();
    }
  });

  it('leaves a session state it does not recognise untouched, and carries over the streams of one it does', () => {
    const state = Symbol('state');
    const odd = Object.assign(new EventEmitter(), { [state]: { streams: { size: 0 } } });
    expect(adoptSessionStreams(odd as unknown as http2.Http2Session)).toBe(false);
    expect(odd[state].streams).toEqual({ size: 0 });
    const badKeys = Object.assign(new EventEmitter(), { [state]: { streams: new Map([['x', {}]]) } });
    expect(adoptSessionStreams(badKeys as unknown as http2.Http2Session)).toBe(false);
    expect(badKeys[state].streams).toBeInstanceOf(Map);
    const twoStates = Object.assign(new EventEmitter(), { [state]: { streams: new Map() }, [Symbol('state')]: {} });
    expect(adoptSessionStreams(twoStates as unknown as http2.Http2Session)).toBe(false);
    const s1 = { id: 1 };
    const s3 = { id: 3 };
    const known = Object.assign(new EventEmitter(), { [state]: { streams: new Map([[1, s1], [3, s3]]) } });
    expect(adoptSessionStreams(known as unknown as http2.Http2Session)).toBe(true);
    const table = known[state].streams as unknown as IdTable<unknown>;
    expect(table).toBeInstanceOf(IdTable);
    expect([...table]).toEqual([[1, s1], [3, s3]]);
    expect(adoptSessionStreams(known as unknown as http2.Http2Session)).toBe(true); // already adopted
  });
});
