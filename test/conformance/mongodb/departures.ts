import type { Departure } from '../framework/suite.js';

/** Where sluice's MongoDB events differ from Debezium's MongoDB connector 3.6.1, and why. */
export const mongoDepartures: readonly Departure[] = [];
