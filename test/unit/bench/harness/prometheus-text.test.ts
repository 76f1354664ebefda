import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sumSamples } from '../../../../bench/harness/prometheus-text.js';
import { registry, metrics } from '../../../../src/metrics/metrics.js';

describe('prometheus text reader', () => {
  it('sums counters by label, including "not equal" filters, from prom-client output', async () => {
    metrics.requests.inc({ model: 'bench-test', code: 'OK' }, 5);
    metrics.requests.inc({ model: 'bench-test', code: 'INVALID_ARGUMENT' }, 2);
    metrics.requests.inc({ model: 'bench-test', code: 'RESOURCE_EXHAUSTED' }, 1);
    const samples = parsePrometheusText(await registry.metrics());
    expect(sumSamples(samples, 'hub_requests_total', { model: 'bench-test', code: 'OK' })).toBe(5);
    expect(sumSamples(samples, 'hub_requests_total', { model: 'bench-test', code: { not: 'OK' } })).toBe(3);
  });

  it('reads escaped label values, +Inf and skips comments', () => {
    const s = parsePrometheusText('# HELP x y\nx_bucket{le="+Inf",m="a\\"b"} 4\nx_sum 1.5e-3\n');
    expect(s).toEqual([{ name: 'x_bucket', labels: { le: '+Inf', m: 'a"b' }, value: 4 }, { name: 'x_sum', labels: {}, value: 0.0015 }]);
  });
});
