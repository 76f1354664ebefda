import { describe, expect, it } from 'vitest';
import { reloadMarkdown, type ReloadResult } from '../../../../bench/scenarios/reload-scenario.js';

describe('reload scenario report', () => {
  const r: ReloadResult = {
    model: 'lead-intent', reloadMs: [2466.4, 2557.1, 2462], lagMaxMs: [23.1, 29, Number.NaN],
    quiet: { calls: 150, errors: 0, errorCodes: {}, p50Ms: 0.41, p99Ms: 1.234, maxMs: 2.05 },
    duringReloads: { calls: 600, errors: 1, errorCodes: { "4/DEADLINE_EXCEEDED": 1 }, p50Ms: 0.5, p99Ms: 4.33, maxMs: 33.49 },
  };

  it('gives each reload\'s wall time and event-loop delay, and the probe quiet and during the reloads', () => {
    const md = reloadMarkdown(r);
    expect(md).toContain('## Reload (lead-intent reloaded 3 times while lead-scoring is called)');
    expect(md).toContain('| LoadModel wall time per reload | 2466 / 2557 / 2462 ms |');
    expect(md).toContain('| event loop\'s longest delay during each reload | 23 / 29 / n/a ms |');
    expect(md).toContain('| lead-scoring probe p50 / p99 / max, quiet | 0.41 / 1.23 / 2.0 ms (150 calls, 0 errors) |');
    expect(md).toContain('| lead-scoring probe p50 / p99 / max, during the reloads | 0.50 / 4.33 / 33.5 ms (600 calls, 1 errors) |');
  });
});
