/** Runs a block against a freshly started server and always stops it afterwards. */
import { startServer, type ServerHandle, type ServerOptions } from '../harness/server-process.js';
import type { BenchContext } from './bench-context.js';

/** Starts a server configured by `opts`, runs `fn`, stops the server (also on failure). */
export async function withServer<T>(ctx: BenchContext, label: string, opts: Omit<ServerOptions, 'root' | 'modelRepository'>, fn: (s: ServerHandle) => Promise<T>): Promise<T> {
  ctx.progress(`starting server (${label})`);
  const t0 = Date.now();
  const server = await startServer({ root: ctx.root, modelRepository: ctx.modelRepository, workers: ctx.workers, ...opts });
  ctx.progress(`server (${label}) serving on ${server.grpcAddress} after ${((Date.now() - t0) / 1000).toFixed(1)} s${server.metricsAddress ? '' : ' (no metrics address: server-side figures unavailable)'}`);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
