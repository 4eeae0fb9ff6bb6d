// An HTTP token (RFC 9110 §5.6.2): what header names and request methods are made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isHttpToken(text: string): boolean {
  return TOKEN.test(text);
}
