/**
 * Renders the user-facing config templates in examples/webservers/ for a run: every `{{name}}` is
 * replaced, and a placeholder without a value (or a value nobody uses) is an error, so the templates
 * and the suite cannot drift apart.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from './paths';

const PLACEHOLDER = /\{\{([a-z_]+)\}\}/g;

export function renderText(template: string, values: Record<string, string | number>): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    used.add(name);
    return String(value);
  });
  if (missing.size > 0) throw new Error(`no value for placeholder(s): ${[...missing].join(', ')}`);
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`value(s) for no placeholder: ${unused.join(', ')}`);
  return text;
}

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
