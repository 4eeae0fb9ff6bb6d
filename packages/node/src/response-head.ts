/** The status line and header fields node:http wrote for a response, as the responder takes them. */
export interface ResponseHead {
  status: number;
  statusText: string;
  /** In the order written, one pair per line: each Set-Cookie stays its own pair. */
  headers: Array<[string, string]>;
  hasContentType: boolean;
  /** node:http frames the body in HTTP/1.1 chunks (the app set `Transfer-Encoding: chunked` itself). */
  chunked: boolean;
}

/** Where the head ends: the blank line after the last header field. */
export const HEAD_END = '\r\n\r\n';
const LINE_END = '\r\n';
// "HTTP/1.1 200 OK": the status code follows the 9-character version and space.
const STATUS_START = 'HTTP/1.1 '.length;
const STATUS_LENGTH = 3;
const CHUNKED = /(?:^|,)\s*chunked\s*$/i;

/**
 * Parses the head node:http's ServerResponse serialises (`HTTP/1.1 <code> <reason>`, then `Name: value`
 * lines; `text` ends before the blank line). node:http has already validated every name and value, so
 * this only splits.
 */
export function parseResponseHead(text: string): ResponseHead {
  const firstLineEnd = text.indexOf(LINE_END);
  const statusLine = firstLineEnd === -1 ? text : text.slice(0, firstLineEnd);
  const status = Number(statusLine.slice(STATUS_START, STATUS_START + STATUS_LENGTH));
  const statusText = statusLine.slice(STATUS_START + STATUS_LENGTH + 1);
  const headers: Array<[string, string]> = [];
  let hasContentType = false;
  let chunked = false;
  let start = firstLineEnd === -1 ? text.length : firstLineEnd + LINE_END.length;
  while (start < text.length) {
    let end = text.indexOf(LINE_END, start);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon > start && colon < end) {
      const name = text.slice(start, colon);
      const value = text.slice(text.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1, end);
      const lower = name.length === 12 || name.length === 17 ? name.toLowerCase() : '';
      if (lower === 'content-type') hasContentType = true;
      if (lower === 'transfer-encoding' && CHUNKED.test(value)) chunked = true;
      headers.push([name, value]);
    }
    start = end + LINE_END.length;
  }
  return { status, statusText, headers, hasContentType, chunked };
}
