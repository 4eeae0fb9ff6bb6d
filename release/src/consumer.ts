import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { run } from './run';

/** What the repository keeps beside an example that a copy leaves out: its tests run it in the repo. */
export const NOT_COPIED = new Set(['node_modules', 'dist', '.turbo', 'test', 'vitest.config.ts']);

/** Copies an example folder as its README says, with an .npmrc that takes @fcgi from `scopeNpmrc`. */
export function copyExample(source: string, destination: string, scopeNpmrc: string): void {
  cpSync(source, destination, { recursive: true, filter: (path) => !NOT_COPIED.has(basename(path)) });
  writeFileSync(join(destination, '.npmrc'), scopeNpmrc);
}

/** A fresh `npm init -y` project that takes @fcgi from `scopeNpmrc`. */
export async function initProject(dir: string, scopeNpmrc: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.npmrc'), scopeNpmrc);
  await run('npm', ['init', '-y'], { cwd: dir });
}

export function npmInstall(dir: string, packages: string[] = []): Promise<string> {
  return run('npm', ['install', '--no-audit', '--no-fund', ...packages], { cwd: dir });
}

/** The first fenced block of `language` in a markdown text. */
export function firstSnippet(markdown: string, language: string): string {
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\``).exec(markdown);
  if (match?.[1] === undefined) throw new Error(`no \`\`\`${language} block`);
  return match[1];
}
