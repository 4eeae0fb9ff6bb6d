/** STDERR kept per request for readStderr(); beyond this, older text is kept and newer text dropped. */
const MAX_KEPT_STDERR_CHARS = 1 << 20;
const TRUNCATION_NOTE = '\n[stderr truncated by @fcgi/client]\n';

const stderrByResponse = new WeakMap<Response, Promise<string>>();

/**
 * Decodes a request's FCGI_STDERR stream as UTF-8, hands each piece to the listener as it arrives,
 * and keeps the text (up to 1 MiB) so it can be read after the request ends.
 */
export class StderrCollector {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #listener: ((text: string) => void) | undefined;
  #text = '';
  #truncated = false;
  #resolve!: (text: string) => void;
  readonly done: Promise<string>;

  constructor(listener?: (text: string) => void) {
    this.#listener = listener;
    this.done = new Promise<string>((resolve) => {
      this.#resolve = resolve;
    });
  }

  get text(): string {
    return this.#text;
  }

  push(bytes: Uint8Array): void {
    this.#deliver(this.#decoder.decode(bytes, { stream: true }));
  }

  /** Flushes a trailing partial character and settles `done`. */
  end(): string {
    this.#deliver(this.#decoder.decode());
    this.#resolve(this.#text);
    return this.#text;
  }

  #deliver(text: string): void {
    if (text === '') return;
    if (!this.#truncated) {
      if (this.#text.length + text.length <= MAX_KEPT_STDERR_CHARS) {
        this.#text += text;
      } else {
        this.#text += text.slice(0, MAX_KEPT_STDERR_CHARS - this.#text.length) + TRUNCATION_NOTE;
        this.#truncated = true;
      }
    }
    try {
      this.#listener?.(text);
    } catch {
      // A failing log callback must not break the response it is logging about.
    }
  }
}

export function registerStderr(response: Response, stderr: Promise<string>): void {
  stderrByResponse.set(response, stderr);
}

/**
 * The STDERR text the backend sent for a response from `client.fetch()`, whether or not an `onStderr`
 * callback was given. Resolves when the request has ended (END_REQUEST or a failure), so after the body
 * has been read or cancelled; resolves to '' for a Response this client did not produce.
 */
export function readStderr(response: Response): Promise<string> {
  return stderrByResponse.get(response) ?? Promise.resolve('');
}
