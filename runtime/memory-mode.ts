import { setFlagsFromString } from 'node:v8';

/**
 * V8 grows its young generation slowly (doubling from 1 MB), so at 100k+ records/s most records are still alive at
 * the early scavenges and get promoted; the old generation then fills with garbage until a full GC. The file
 * benchmark peaked at ~210 MB RSS that way. Growing the young generation 8× at a time (the flag is honoured when
 * set at run time) kept it at ~125 MB at the same speed; `--optimize-for-size` also bounded memory but cost 30–70%
 * of throughput. Imported first by the CLI. SLUICE_V8_FLAGS replaces these flags (empty: V8's defaults).
 *
 * The old generation's limit is V8's live size times a factor it picks from GC speed, up to 4: with ~30 MB of
 * records in flight the PostgreSQL snapshot let its heap reach 150–175 MB before a full GC. A fixed factor of 2
 * (`--heap-growing-percent=100`, Go's GOGC=100 rule, also honoured at run time) took the PostgreSQL benchmarks'
 * peak RSS from 233–242 MiB to 168–180 MiB for 2–12% more CPU time (bench/results/postgres.md).
 */
const flags = process.env.SLUICE_V8_FLAGS ?? '--semi-space-growth-factor=8 --heap-growing-percent=100';
for (const flag of flags.split(/\s+/).filter(Boolean)) setFlagsFromString(flag);
