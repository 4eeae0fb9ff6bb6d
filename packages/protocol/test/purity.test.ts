import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const sources = readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
  .filter((file) => /\.[cm]?[jt]s$/.test(file))
  .map((file) => ({ file, text: readFileSync(join(srcDir, file), 'utf8') }));

// Matches `from 'node:x'`, `import('node:x')`, `require('node:x')` and bare Node built-ins such as 'fs'.
const NODE_IMPORT =
  /(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"](?:node:[^'"]+|fs|path|buffer|stream|util|os|net)['"]/;
const BUFFER_USE = /\bBuffer\b/;

describe('the codec stays free of Node.js APIs', () => {
  it('finds the source files to check', () => {
    expect(sources.map((s) => s.file)).toContain('index.ts');
  });

  it.each(sources.map((s) => [s.file, s.text]))('%s imports no node: module', (_file, text) => {
    expect(text).not.toMatch(NODE_IMPORT);
  });

  it.each(sources.map((s) => [s.file, s.text]))('%s does not use Buffer', (_file, text) => {
    expect(text).not.toMatch(BUFFER_USE);
  });

  it('recognises the forbidden patterns it looks for', () => {
    expect("import { Socket } from 'node:net';").toMatch(NODE_IMPORT);
    expect("const fs = await import('fs');").toMatch(NODE_IMPORT);
    expect('Buffer.from(bytes)').toMatch(BUFFER_USE);
    expect("import { x } from './node-helpers';").not.toMatch(NODE_IMPORT);
  });
});
