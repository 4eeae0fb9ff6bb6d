/** How the app reports a request's path and query (README, "Routes": /echo-request and /unicode). */

export type QueryObject = Record<string, string[]>;

/** Each name maps to all its values in order; form-urlencoded decoding (`+` is a space, `%XX` UTF-8). */
export function queryObject(url: URL): QueryObject {
  // A null prototype keeps names such as "__proto__" ordinary keys.
  const query: QueryObject = Object.create(null);
  for (const [name, value] of url.searchParams) {
    const values = query[name];
    if (values) values.push(value);
    else query[name] = [value];
  }
  return query;
}

/** The percent-decoded (UTF-8) path; a malformed escape leaves the raw path rather than failing. */
export function decodedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

/** Parses a decimal integer parameter within [min, max]; undefined for anything else. */
export function boundedInteger(
  value: string | null | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value == null || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}
