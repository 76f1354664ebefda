/**
 * A real redis-server for tests: started on a free 127.0.0.1 port with persistence off, or the one named by
 * REDIS_URL (then it is shared and never stopped, paused or restarted by tests: `controllable` is false).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A Redis the test can use (and, when it started it, break). */
export interface TestRedis {
  readonly url: string;
  /** False when REDIS_URL points at a server the tests do not own. */
  readonly controllable: boolean;
  /** Kills the server (SIGKILL: a crash, not a shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: persistence is off). */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  /** Thaws it (SIGCONT). */
  resume(): void;
}

/** A TCP port free on 127.0.0.1 right now (the caller retries if another process takes it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server on `port` (127.0.0.1, persistence off, logging to stdout) with `extraArgs` appended,
 * and resolves once it accepts connections.
 */
export function launch(port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice', ...extraArgs,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`redis-server did not start on ${port}:\n${out}`)); }, 10_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run redis-server (apt-get install -y redis-server): ${e.message}`)); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited with ${code}:\n${out}`)); });
  });
}

/** Resolves when `child` has exited (at once if it already has). */
export function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a private redis-server (or wraps REDIS_URL). Call `stop()` in afterAll. */
export async function startRedis(): Promise<TestRedis> {
  const external = process.env['REDIS_URL'];
  if (external) {
    const noop = async (): Promise<void> => undefined;
    const refuse = (): never => { throw new Error('REDIS_URL is shared: tests must not pause it'); };
    return { url: external, controllable: false, stop: noop, restart: noop, pause: refuse, resume: refuse };
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let child: ChildProcess;
    try {
      child = await launch(port);
    } catch (e) {
      lastError = e; // the port was taken between probing and binding: try another
      continue;
    }
    let current: ChildProcess | undefined = child;
    const stop = async (): Promise<void> => {
      const c = current;
      current = undefined;
      if (!c) return;
      c.kill('SIGCONT');
      c.kill('SIGKILL');
      await waitExit(c);
    };
    return {
      url: `redis://127.0.0.1:${port}`,
      controllable: true,
      stop,
      restart: async () => {
        await stop();
        current = await launch(port);
      },
      pause: () => { current?.kill('SIGSTOP'); },
      resume: () => { current?.kill('SIGCONT'); },
    };
  }
  throw lastError;
}
