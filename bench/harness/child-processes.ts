/**
 * Every process the bench starts is registered here, and killed when the bench exits, fails or is
 * interrupted (SIGINT/SIGTERM), so a run never leaves a server, redis-server or h2load behind.
 * Children are killed by their own pid only.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;
let interrupted = false;

/** True once SIGINT/SIGTERM reached the CLI (failures after that are the interruption's echo). */
export function wasInterrupted(): boolean {
  return interrupted;
}

function killAll(signal: NodeJS.Signals): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill(signal); } catch { /* already gone */ }
    }
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // 'exit' handlers must be synchronous: SIGKILL cannot be ignored, so nothing outlives the bench.
  process.on('exit', () => killAll('SIGKILL'));
}

/**
 * For the CLI only (a library must not take over a host process's signals): on SIGINT/SIGTERM, stop
 * every tracked child, then exit.
 */
export function stopChildrenOnSignals(): void {
  hookExit();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      interrupted = true;
      process.stderr.write(`\nbench: ${sig}: stopping ${live.size} child process(es)\n`);
      killAll('SIGTERM');
      setTimeout(() => process.exit(130), 300).unref();
    });
  }
}

/** Spawns a tracked child process. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  hookExit();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Resolves when the child has exited (immediately if it already has). */
export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, graceMs);
  await waitForExit(child);
  clearTimeout(timer);
}

/** Number of tracked children still running (tests assert it returns to zero). */
export function liveChildCount(): number {
  let n = 0;
  for (const c of live) if (c.exitCode === null && c.signalCode === null) n++;
  return n;
}
