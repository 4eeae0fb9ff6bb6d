/**
 * Renders the user-facing config templates in examples/webservers/ for a run with the renderer
 * `fcgi config` prints them with (from @fcgi/cli): every `{{name}}` is replaced, and a placeholder
 * without a value (or a value nobody uses) is an error, so the templates and the suite cannot drift.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderText } from '@fcgi/cli';
import { paths } from './paths';

export { renderText };

/**
 * Renders `<templateDir>/<templateName>` (examples/webservers by default) into
 * `<runDir>/<templateName>` and returns that path.
 */
export function renderTemplate(
  templateName: string,
  runDir: string,
  values: Record<string, string | number>,
  templateDir: string = paths.templates,
): string {
  const template = readFileSync(join(templateDir, templateName), 'utf8');
  let text: string;
  try {
    text = renderText(template, values);
  } catch (error) {
    throw new Error(`${templateName}: ${(error as Error).message}`);
  }
  const target = join(runDir, templateName);
  writeFileSync(target, text);
  return target;
}
