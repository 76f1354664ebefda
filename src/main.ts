/** Process entry point: load config, start the service, shut down gracefully on SIGTERM/SIGINT. */
import { loadServiceConfig, ConfigError } from './config/service-config.js';
import { rootLogger } from './logging/logger.js';
import { startApp } from './app.js';
import { missingServeFlags, tuneV8 } from './v8-tuning.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadServiceConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`invalid configuration:\n${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const v8Flags = tuneV8({ pretenuring: config.v8Pretenuring });
  if (v8Flags.length > 0) rootLogger.info({ v8Flags }, 'V8 flags set for serving');
  const missing = missingServeFlags();
  if (missing.length > 0) {
    rootLogger.warn({ missing }, 'started without the Node flags hub-inference serves with (npm start and the images pass them; see src/v8-tuning.ts): at 100+ concurrent calls young-generation GC costs several times more per call');
  }
  const app = await startApp(config);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      rootLogger.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(1);
    }
    app.shutdown(sig).then(({ cutCalls }) => {
      // A shutdown that had to cut accepted calls is a failure the orchestrator should see.
      if (cutCalls > 0) rootLogger.error({ cutCalls }, `shutdown cut ${cutCalls} accepted call(s); exiting with code 3`);
      process.exit(cutCalls > 0 ? 3 : 0);
    }, (err: unknown) => {
      rootLogger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err: unknown) => {
  rootLogger.fatal({ err }, 'failed to start');
  process.exit(1);
});
