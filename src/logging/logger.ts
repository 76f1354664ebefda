/** pino JSON logs: one root logger, one child per module (`{ module: 'engine' }`). */
import { pino, type Logger, type LevelWithSilent } from 'pino';

const root: Logger = pino({ base: { service: 'hub-inference' }, level: 'info' });

/** The logger of one module. Children follow the root's level. */
export function moduleLogger(module: string): Logger {
  return root.child({ module });
}

/** Sets the level of every logger (config decides it; tests use 'silent'). */
export function setLogLevel(level: LevelWithSilent): void {
  root.level = level;
}

/** The root logger. */
export const rootLogger: Logger = root;
