import { setFlagsFromString } from 'node:v8';

/**
 * V8 grows its young generation slowly (doubling from 1 MB), so at 100k+ records/s most records are still alive at
 * the early scavenges and get promoted; the old generation then fills with garbage until a full GC. The file
 * benchmark peaked at ~210 MB RSS that way. Growing the young generation 8× at a time (the flag is honoured when
 * set at run time) kept it at ~125 MB at the same speed; `--optimize-for-size` also bounded memory but cost 30–70%
 * of throughput. Imported first by the CLI. SLUICE_V8_FLAGS replaces these flags (empty: V8's defaults).
 */
const flags = process.env.SLUICE_V8_FLAGS ?? '--semi-space-growth-factor=8';
for (const flag of flags.split(/\s+/).filter(Boolean)) setFlagsFromString(flag);
