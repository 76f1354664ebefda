/**
 * Runs one open-loop stream in its own process and prints its call records as JSON: a light probe measured
 * beside a flood must not share the flood client's event loop, or the client's own encoding work shows up
 * as the server's latency.
 *
 *   node dist/bench/load/open-loop-process.js <address> <models dir> <stream JSON> <duration ms>
 */
import path from 'node:path';
import { readModelConfig } from '../../src/repository/model-config.js';
import { runOpenLoop, type OpenLoopStream } from './open-loop.js';

async function main(): Promise<void> {
  const [address, models, streamJson, duration] = process.argv.slice(2);
  if (!address || !models || !streamJson || !duration) throw new Error('usage: open-loop-process <address> <models dir> <stream JSON> <duration ms>');
  const s = JSON.parse(streamJson) as Omit<OpenLoopStream, 'model'> & { model: string };
  const model = readModelConfig(path.join(models, s.model, 'config.json'), s.model);
  const records = await runOpenLoop(address, [{ ...s, model }], Number(duration));
  process.stdout.write(JSON.stringify(records));
}

main().then(() => process.exit(0), (e: unknown) => { process.stderr.write(`${(e as Error).message}\n`); process.exit(1); });
