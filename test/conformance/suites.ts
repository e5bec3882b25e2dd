import type { ConformanceSuite } from './framework/suite.js';
import { mongoSuite } from './mongodb/suite.js';
import { mysqlSuite } from './mysql/suite.js';
import { postgresSuite } from './postgres/suite.js';

/**
 * Every conformance suite, in the order of docs/compatibility.md (scripts/compatibility-doc.ts renders them).
 * A suite is listed here once its test (test/conformance/<id>.test.ts) passes.
 */
export const conformanceSuites: readonly ConformanceSuite[] = [postgresSuite, mysqlSuite, mongoSuite];
