/** Starts the server as `npm start` does (`node <SERVE_NODE_FLAGS> dist/src/main.js`) as a child process on a free port and waits until it is serving. */
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVE_NODE_FLAGS, serveArgs } from '../../src/v8-tuning.js';

/** A server running in a child process. */
export interface ChildServer {
  readonly child: ChildProcess;
  readonly address: string;
  readonly metricsAddress: string | undefined;
  /** Everything the server printed so far (pino JSON lines). */
  output(): string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the compiled server with test defaults overridden by `env`. */
export async function spawnServer(env: Record<string, string> = {}, timeoutMs = 120_000, nodeFlags: readonly string[] = SERVE_NODE_FLAGS): Promise<ChildServer> {
  const child = spawn(process.execPath, serveArgs(undefined, nodeFlags), {
    env: { ...process.env, HUB_GRPC_ADDRESS: '127.0.0.1:0', HUB_METRICS_ADDRESS: '', HUB_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const serving = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    const check = (): void => {
      for (const line of out.split('\n')) {
        if (!line.includes('"msg":"serving"')) continue;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(JSON.parse(line) as Record<string, string>);
        return;
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited with ${code} before serving:\n${out}`)); });
  });
  return {
    child,
    address: serving['grpcAddress'] as string,
    metricsAddress: serving['metricsAddress'],
    output: () => out,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
