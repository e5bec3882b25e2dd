import { setFlagsFromString } from 'node:v8';

/**
 * V8 sizes its heap for throughput on a machine with gigabytes free: copying a file at 100k records/s, a worker
 * grew to ~250 MB RSS though fewer than 10 MB of records were in flight. `--optimize-for-size` (which V8 honours
 * when set at run time) kept the same copy at ~135 MB at the same speed. Imported first by the CLI;
 * SLUICE_OPTIMIZE_FOR_SIZE=false turns it off.
 */
if (process.env.SLUICE_OPTIMIZE_FOR_SIZE !== 'false') setFlagsFromString('--optimize-for-size');
