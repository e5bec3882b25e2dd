import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/worker.js';

/**
 * The package's types as an application sees them: fixtures import 'sluice' (resolved through package.json's
 * `exports` to the built declarations in dist/, as in a project that installed it) and are checked by tsc.
 */
const fixtures = join(repoRoot, 'test/integration/library/fixtures');
const examples = join(repoRoot, 'examples/library');
const EXAMPLES = readdirSync(examples).filter((f) => f.endsWith('.ts'));
let program: ts.Program | undefined;

function diagnostics(file: string, folder = fixtures): string[] {
  // One program for both fixtures: parsing the declarations is most of the time.
  program ??= ts.createProgram(
    [...['types-ok.ts', 'types-bad.ts'].map((f) => join(fixtures, f)), ...EXAMPLES.map((f) => join(examples, f))],
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    },
  );
  const where = (d: ts.Diagnostic) =>
    d.file ? `${file}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
  return [
    ...program.getGlobalDiagnostics(),
    ...ts.getPreEmitDiagnostics(program, program.getSourceFile(join(folder, file))),
  ].map((d) => `${where(d)}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

describe('the package types', () => {
  it('compile an application that uses them, and refuse each wrong line it marks', () => {
    // A marked line that compiled would be reported as an unused @ts-expect-error.
    expect(diagnostics('types-ok.ts')).toEqual([]);
  });

  it('compile the examples in examples/library', () => {
    expect(EXAMPLES.length).toBe(3);
    for (const f of EXAMPLES) expect(diagnostics(f, examples)).toEqual([]);
  });

  it("refuse a typo'd config key and a wrong value type", () => {
    const errors = diagnostics('types-bad.ts');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/types-bad\.ts:11: .*slot\.nmae.* does not exist in type 'PostgresConfig'/);
    expect(errors[1]).toMatch(/types-bad\.ts:22: .*Type '"no"' is not assignable to type 'BoolInput/);
  });
});
