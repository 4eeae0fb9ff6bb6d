// Slowloris: connections that hold a slot as cheaply as possible. Tricklers send a BEGIN_REQUEST and a
// PARAMS header announcing more than they will ever send, then one byte at a time; silent ones
// connect and send nothing. Each reconnects as soon as the server drops it, as an attacker would.
import { encodeBeginRequest, encodeHeader, FCGI_MAX_CONTENT_LEN, RecordType, Role } from '@fcgi/protocol';
import { Peer } from '../peer';
import { answerFor } from '../requests';
import { Tally } from '../tally';

export interface SlowlorisOptions {
  /** Connections trickling their request head. */
  tricklers: number;
  /** Connections that send nothing at all. */
  silent: number;
  /** Time between a trickler's bytes. */
  trickleEveryMs: number;
}

/** Before reconnecting after a drop or a refused connect, so that a refusing server is not spun on. */
const RECONNECT_PAUSE_MS = 50;

const TRICKLED_ID = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Slowloris {
  /** "opened", "trickler answered 408", "silent closed", "trickler ECONNRESET", "connect EAGAIN", ... */
  readonly events = new Tally();
  #stopped = false;
  readonly #peers = new Set<Peer>();
  readonly #done: Promise<unknown>;

  constructor(
    private readonly path: string,
    private readonly options: SlowlorisOptions,
  ) {
    const loops = [
      ...Array.from({ length: options.tricklers }, () => this.#hold(true)),
      ...Array.from({ length: options.silent }, () => this.#hold(false)),
    ];
    this.#done = Promise.all(loops);
  }

  /** Connections open right now. */
  get open(): number {
    return this.#peers.size;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const peer of this.#peers) peer.destroy();
    await this.#done;
  }

  async #hold(trickle: boolean): Promise<void> {
    while (!this.#stopped) {
      let peer: Peer;
      try {
        peer = await Peer.open(this.path);
      } catch (error) {
        this.events.add(`connect ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
        await sleep(RECONNECT_PAUSE_MS);
        continue;
      }
      if (this.#stopped) {
        peer.destroy();
        break;
      }
      this.events.add('opened');
      this.#peers.add(peer);
      const gaveUp = trickle ? await this.#trickle(peer) : false;
      await peer.closed;
      this.#peers.delete(peer);
      if (this.#stopped || gaveUp) continue;
      if (!peer.error) this.events.add(trickle ? 'trickler closed' : 'silent closed');
      else this.events.add(`${trickle ? 'trickler' : 'silent'} ${peer.error.code}`);
      await sleep(RECONNECT_PAUSE_MS);
    }
  }

  /**
   * A request head that never completes, sent a byte at a time until the connection closes or the
   * server answers it; true when it was answered (and the connection dropped here).
   */
  async #trickle(peer: Peer): Promise<boolean> {
    await peer.write([
      encodeBeginRequest(TRICKLED_ID, Role.Responder, 1),
      encodeHeader(RecordType.Params, TRICKLED_ID, FCGI_MAX_CONTENT_LEN),
    ]);
    const byte = new Uint8Array(1);
    while (!this.#stopped && peer.isOpen) {
      await Promise.race([sleep(this.options.trickleEveryMs), peer.closed]);
      const answer = answerFor(peer.records, TRICKLED_ID);
      if (answer) {
        // Cut off (408 at paramsTimeout): start over on a new connection, as an attacker would.
        this.events.add(`trickler answered ${answer.status}`);
        peer.destroy();
        return true;
      }
      if (peer.isOpen) await peer.write(byte);
    }
    return false;
  }
}
