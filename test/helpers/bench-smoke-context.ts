/** The bench context the smoke tests run scenarios with: the bundled models, smoke mode, h2load, one worker. */
import path from 'node:path';
import { MODES, type BenchContext } from '../../bench/scenarios/bench-context.js';

export function smokeContext(progress: (line: string) => void = () => undefined): BenchContext {
  const root = process.cwd();
  return { root, modelRepository: path.join(root, 'models'), mode: 'smoke', settings: MODES.smoke, tool: 'h2load', workers: 1, progress };
}
