import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../runtime/cli/program.js';
import { codeBlocks } from '../../harness/markdown.js';
import { repoRoot } from '../../harness/worker.js';

/**
 * Every ```json block in README.md is a config a reader may copy: `sluice validate` checks them all together, as
 * `sluice validate worker.json connector.json…` would (the worker block's env provider resolving
 * ${env:PGPASSWORD}), so none of them rots. A JSON sample that is not a config belongs in a ```jsonc block.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("README's JSON blocks", () => {
  it('are valid worker and connector configs, with the messages sluice validate gives', async () => {
    const blocks = codeBlocks(join(repoRoot, 'README.md'), 'json');
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const files = blocks.map((b, i) => {
      const path = join(dir, `readme-block-${i + 1}.json`);
      writeFileSync(path, b);
      return path;
    });
    let out = '';
    const previous = process.env.PGPASSWORD;
    process.env.PGPASSWORD = 'change-me';
    try {
      const code = await runCli(['validate', ...files], {
        out: (t) => {
          out += t;
        },
        err: (t) => {
          out += t;
        },
        env: process.env,
      });
      expect(out).not.toMatch(/error|not checked/);
      expect(code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = previous;
    }
    const verdicts = out.trimEnd().split('\n');
    expect(verdicts).toHaveLength(blocks.length);
    expect(verdicts.filter((l) => l.endsWith(': worker config: valid'))).toHaveLength(1);
    expect(verdicts.filter((l) => / connector \S+ \(.*\): valid$/.test(l)).length).toBe(blocks.length - 1);
  });
});
