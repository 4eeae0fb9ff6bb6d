import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Renders a shipped config: every {{name}} replaced by values[name]. A placeholder left without a
 * value is an error, so a config that gains a placeholder cannot silently go untested.
 */
export function renderTemplate(templatePath: string, values: Record<string, string | number>): string {
  const text = readFileSync(templatePath, 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${templatePath}: no value for ${whole}`);
    return String(value);
  });
  return text;
}

export function renderTo(
  templatePath: string,
  outputPath: string,
  values: Record<string, string | number>,
): string {
  const text = renderTemplate(templatePath, values);
  writeFileSync(outputPath, text);
  return text;
}

/** `Key=value` lines of a rendered systemd unit, e.g. all `Environment=` entries. */
export function unitValues(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((match) => match[1]!);
}
