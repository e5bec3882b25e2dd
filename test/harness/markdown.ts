import { readFileSync } from 'node:fs';

/** The fenced code blocks of a Markdown file whose info string is exactly `lang` (```json, ```sql…), in order. */
export function codeBlocks(path: string, lang: string): string[] {
  const text = readFileSync(path, 'utf8');
  const blocks: string[] = [];
  const fence = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of text.matchAll(fence)) if (m[1].trim() === lang) blocks.push(m[2]);
  return blocks;
}
