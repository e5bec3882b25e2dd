// Imported first by the CLI: V8's heap flags for a fast pipeline (v8-flags.ts), set before the heap grows.
import { applyMemoryFlags } from './v8-flags.js';

applyMemoryFlags();
