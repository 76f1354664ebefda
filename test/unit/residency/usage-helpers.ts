/** The residency modules the unit tests use (one import path). */
export { ModelUsage, hourOfWeek, bucketLabel, isUsageSnapshot as isUsageSnapshotForTest } from '../../../src/residency/usage-predictor.js';
export { ManualClock } from '../../../src/residency/clock.js';
