/**
 * Fills the web-server templates (examples/webservers in the repository, dist/templates in the
 * package): every `{{name}}` is replaced, and a placeholder without a value, or a value no placeholder
 * uses, is an error, so the templates and the code that fills them cannot drift apart.
 */

const PLACEHOLDER = /\{\{([a-z_]+)\}\}/g;

export type TemplateValues = Record<string, string | number>;

export function renderText(template: string, values: TemplateValues): string {
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
