/**
 * The model configuration (`models/<name>/config.json`): one zod schema, one defaults object. Names follow
 * Triton's model configuration (max_batch_size, dynamic_batching.max_queue_delay_microseconds,
 * preferred_batch_size, default_queue_policy) in camelCase and milliseconds.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DTYPES, type DType } from '../tensor/tensor.js';

/** Defaults for every optional field of a model config. */
export const MODEL_DEFAULTS = Object.freeze({
  maxBatchSize: 64,
  dynamicBatching: Object.freeze({ maxQueueDelayMs: 10, preferredBatchSizes: [] as number[], maxQueueSize: 4096, defaultTimeoutMs: 0 }),
  variants: Object.freeze({ default: 'auto' as const }),
  cache: Object.freeze({ enabled: true, ttlSeconds: 300 }),
  preload: Object.freeze({ priority: 0, pin: false }),
  instances: 1,
  allowNonFinite: false,
});

const SampleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uniform'), min: z.number(), max: z.number() }).strict(),
  z.object({ kind: z.literal('normal'), mean: z.number().default(0), std: z.number().positive().default(1) }).strict(),
  z.object({ kind: z.literal('mask'), minLength: z.number().int().min(0).default(1) }).strict(),
]);

/** How warm-up and calibration generate realistic values for one input. */
export type SampleSpec = z.infer<typeof SampleSchema>;

const RangeSchema = z.object({ min: z.number().int(), max: z.number().int() }).strict()
  .refine((r) => r.min <= r.max, 'min must not exceed max');

const TensorSpecSchema = z.object({
  name: z.string().min(1),
  dtype: z.enum(DTYPES as [DType, ...DType[]]),
  shape: z.array(z.number().int().min(-1)).min(1).refine((s) => s[0] === -1, 'dim 0 must be -1 (the batch of rows)')
    .refine((s) => s.slice(1).every((d) => d > 0 || d === -1), 'non-batch dims must be positive sizes or -1 (dynamic)'),
  sample: SampleSchema.optional(),
  /**
   * Float inputs only: accept NaN and +-Inf. Off by default, because one non-finite value turns every row of
   * its batch into NaN in most networks; tree models that read NaN as "missing" turn it on.
   */
  allowNonFinite: z.boolean().default(MODEL_DEFAULTS.allowNonFinite),
  /**
   * Integer inputs only: the inclusive range of valid values. When absent it is inferred from the embedding
   * table the input indexes (input-ranges.ts); a declared range wider than that table is a load error.
   */
  range: RangeSchema.optional(),
}).strict();

/** One declared input or output. */
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const ModelConfigSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" or "-"'),
  description: z.string().optional(),
  platform: z.literal('onnxruntime').default('onnxruntime'),
  maxBatchSize: z.number().int().min(1).max(4096).default(MODEL_DEFAULTS.maxBatchSize),
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
  dynamicBatching: z.object({
    maxQueueDelayMs: z.number().min(0).max(1000).default(MODEL_DEFAULTS.dynamicBatching.maxQueueDelayMs),
    preferredBatchSizes: z.array(z.number().int().min(1)).default([]),
    maxQueueSize: z.number().int().min(1).default(MODEL_DEFAULTS.dynamicBatching.maxQueueSize),
    defaultTimeoutMs: z.number().int().min(0).default(MODEL_DEFAULTS.dynamicBatching.defaultTimeoutMs),
    // A latency target for this model: the warm-up profile caps the batch so one batch computes within half of it.
    targetP95Ms: z.number().positive().max(600_000).optional(),
  }).strict().prefault({}),
  variants: z.object({
    default: z.enum(['auto', 'fp32', 'int8', 'fp16']).default('auto'),
  }).strict().prefault({}),
  warmup: z.object({
    batchSizes: z.array(z.number().int().min(1)).optional(),
    /** Sizes for an input's dynamic (-1) non-batch dims in warm-up, e.g. { "input_ids": [32] }; default 16. */
    dims: z.record(z.string(), z.array(z.number().int().min(1))).optional(),
    iterations: z.number().int().min(1).max(100).default(1),
  }).strict().prefault({}),
  cache: z.object({
    enabled: z.boolean().default(MODEL_DEFAULTS.cache.enabled),
    ttlSeconds: z.number().int().min(1).max(86_400 * 7).default(MODEL_DEFAULTS.cache.ttlSeconds),
  }).strict().prefault({}),
  preload: z.object({
    priority: z.number().default(MODEL_DEFAULTS.preload.priority),
    /** Under a model memory budget: never evicted, and loaded at start whatever its predicted demand. */
    pin: z.boolean().default(MODEL_DEFAULTS.preload.pin),
  }).strict().prefault({}),
  instances: z.number().int().min(1).max(64).default(MODEL_DEFAULTS.instances),
  // Owned by the quantize pipeline (quantize/); the server only passes it through.
  quantization: z.record(z.string(), z.unknown()).optional(),
}).strict().superRefine((cfg, ctx) => {
  for (const [kind, list] of [['inputs', cfg.inputs], ['outputs', cfg.outputs]] as const) {
    const seen = new Set<string>();
    list.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: [kind, i, 'name'], message: `duplicate ${kind.slice(0, -1)} name "${t.name}"` });
      seen.add(t.name);
    });
  }
  cfg.inputs.forEach((t, i) => {
    const isFloat = t.dtype === 'float32' || t.dtype === 'float16';
    if (t.range && (isFloat || t.dtype === 'bool')) ctx.addIssue({ code: 'custom', path: ['inputs', i, 'range'], message: `range applies to integer inputs; "${t.name}" is ${t.dtype}` });
    if (t.allowNonFinite && !isFloat) ctx.addIssue({ code: 'custom', path: ['inputs', i, 'allowNonFinite'], message: `allowNonFinite applies to float inputs; "${t.name}" is ${t.dtype}` });
  });
  cfg.dynamicBatching.preferredBatchSizes.forEach((b, i) => {
    if (b > cfg.maxBatchSize) ctx.addIssue({ code: 'custom', path: ['dynamicBatching', 'preferredBatchSizes', i], message: `${b} exceeds maxBatchSize ${cfg.maxBatchSize}` });
  });
});

/** A validated, frozen model config. */
export type ModelConfig = Readonly<z.infer<typeof ModelConfigSchema>>;

/** A config file that is unreadable or invalid; the message names the file and each bad field. */
export class ModelConfigError extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/** Validates a parsed config object; `file` names the source in errors. */
export function parseModelConfig(raw: unknown, file: string): ModelConfig {
  const res = ModelConfigSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `${file}: field "${i.path.join('.') || '(root)'}": ${i.message}`);
    throw new ModelConfigError(file, lines.join('\n'));
  }
  return Object.freeze(res.data);
}

/**
 * Reads and validates `models/<name>/config.json`; the name must match the directory. `shown` is how
 * messages name the file (the repository passes it relative to its root: messages never carry absolute paths).
 */
export function readModelConfig(file: string, dirName: string, shown = file): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (e as Error).message.replace(file, shown);
    throw new ModelConfigError(shown, `${shown}: cannot read config: ${why}`);
  }
  const cfg = parseModelConfig(raw, shown);
  if (cfg.name !== dirName) throw new ModelConfigError(shown, `${shown}: field "name": "${cfg.name}" must equal the directory name "${dirName}"`);
  return cfg;
}

/** The batch sizes a model runs and is warmed on: its warmup list, else 1, the preferred sizes and the max. */
export function warmupBatchSizes(cfg: ModelConfig): number[] {
  const sizes = cfg.warmup.batchSizes ?? [1, ...cfg.dynamicBatching.preferredBatchSizes, cfg.maxBatchSize];
  return [...new Set(sizes.filter((b) => b <= cfg.maxBatchSize))].sort((a, b) => a - b);
}
