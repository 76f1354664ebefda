/**
 * Throw-away repositories of small fleet MLPs (models/builder/fleet-models.ts) for residency tests, with the
 * bytes each model is charged against a memory budget and a request builder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFleetModels, type FleetModelSpec } from '../../models/builder/fleet-models.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { wireInputs } from './reference.js';

/** A temp repository of fleet models. */
export interface FleetRepo {
  readonly root: string;
  /** ONNX file bytes of each model. */
  readonly fileBytes: ReadonlyMap<string, number>;
  /** A Predict request for `model` (one row, seeded). */
  request(model: string, seed?: number): Record<string, unknown>;
  remove(): void;
}

/** Writes `specs` (inputs default 16, hidden [64, 64]) into a new temp repository. */
export function fleetRepo(specs: readonly (Partial<FleetModelSpec> & { name: string })[]): FleetRepo {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hub-fleet-'));
  const full = specs.map((s, i) => ({ seed: i + 1, inputs: 16, hidden: [64, 64], priority: 0, ...s }));
  const fileBytes = writeFleetModels(root, full);
  const configs = new Map(full.map((s) => [s.name, readModelConfig(path.join(root, s.name, 'config.json'), s.name)]));
  return {
    root,
    fileBytes,
    request(model, seed = 1) {
      const cfg = configs.get(model);
      if (!cfg) throw new Error(`no fleet model ${model}`);
      return { model, inputs: wireInputs(sampleInputs(cfg, 1, seed)) };
    },
    remove() { rmSync(root, { recursive: true, force: true }); },
  };
}
