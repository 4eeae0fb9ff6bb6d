// The mutation fuzzer: mutated record streams, each on a connection of its own, many at once, for a
// bounded time. Each answer is checked as a web server would need it: records that decode, and never
// more END_REQUESTs for an id than BEGIN_REQUESTs were sent for it.
import { FCGI_HEADER_LEN, FCGI_VERSION_1, type FcgiRecord, RecordType } from '@fcgi/protocol';
import { Peer } from '../peer';
import { Prng } from '../prng';
import { answerFor } from '../requests';
import { Tally } from '../tally';
import { mutatedStream } from './fuzz-streams';

export interface FuzzOptions {
  seed: number;
  durationMs: number;
  /** Streams in flight at once. */
  concurrency: number;
  /** Most time one stream waits for the server to answer or close. */
  maxWaitMs: number;
  /** A stream whose server has sent nothing for this long is done with (unless it waits patiently). */
  quietMs: number;
}

export interface FuzzFailure {
  /** The stream's index: with the seed, replays its bytes (streamRandom). */
  stream: number;
  reason: string;
}

export interface FuzzReport {
  seed: number;
  streams: number;
  bytesSent: number;
  /** END_REQUEST statuses ("200", "400", "408", ...; "none" for an END_REQUEST without STDOUT). */
  answers: Tally;
  /** How the streams ended: "closed by server", "quiet", "still open", "connect EAGAIN", ... */
  endings: Tally;
  /** The first few failures; failureCount counts them all. */
  failures: FuzzFailure[];
  failureCount: number;
}

const KEPT_FAILURES = 20;
const STALL_MS = 2000;
/** Streams that wait for the server to close, past the deadlines, rather than for a short quiet. */
const PATIENT_SHARE = 0.1;
const HALF_CLOSE_SHARE = 0.3;

/** The generator of stream `index` of a run: the same seed and index give the same bytes. */
export function streamRandom(seed: number, index: number): Prng {
  return new Prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

/**
 * BEGIN_REQUESTs per id in what was sent, up to the first record the server cannot frame (a version
 * other than 1) or where the bytes end mid-record: it closes the connection at the first. Walked header by header
 * rather than with RecordDecoder, whose push() throws away the records before a framing error.
 */
function beginsSent(bytes: Uint8Array): Map<number, number> {
  const begins = new Map<number, number>();
  let at = 0;
  while (at + FCGI_HEADER_LEN <= bytes.length && bytes[at] === FCGI_VERSION_1) {
    const type = bytes[at + 1] as number;
    const requestId = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    const contentLength = ((bytes[at + 4] as number) << 8) | (bytes[at + 5] as number);
    // A record is handed on once its content is in: its padding may still be missing.
    if (at + FCGI_HEADER_LEN + contentLength > bytes.length) break;
    if (type === RecordType.BeginRequest) begins.set(requestId, (begins.get(requestId) ?? 0) + 1);
    at += FCGI_HEADER_LEN + contentLength + (bytes[at + 6] as number);
  }
  return begins;
}

/** Why the answer to `sent` is wrong, or undefined when it is fine. */
function checkAnswer(sent: Uint8Array, peer: Peer): string | undefined {
  if (peer.framingError)
    return `the server sent bytes that are not FastCGI records: ${peer.framingError.message}`;
  const begins = beginsSent(sent);
  const ends = new Map<number, number>();
  for (const record of peer.records) {
    if (record.type === RecordType.EndRequest)
      ends.set(record.requestId, (ends.get(record.requestId) ?? 0) + 1);
  }
  for (const [id, count] of ends) {
    if (count > (begins.get(id) ?? 0))
      return `${count} END_REQUESTs for request id ${id}, which was begun ${begins.get(id) ?? 0} times`;
  }
  return undefined;
}

function countAnswers(records: readonly FcgiRecord[], answers: Tally): void {
  const ended = new Set(records.filter((r) => r.type === RecordType.EndRequest).map((r) => r.requestId));
  for (const id of ended) {
    const answer = answerFor(records, id);
    answers.add(answer && answer.status > 0 ? String(answer.status) : 'none');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function fuzz(path: string, options: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = {
    seed: options.seed,
    streams: 0,
    bytesSent: 0,
    answers: new Tally(),
    endings: new Tally(),
    failures: [],
    failureCount: 0,
  };
  const deadline = Date.now() + options.durationMs;
  let next = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const index = next++;
      await sendStream(path, index, options, report);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return report;
}

async function sendStream(
  path: string,
  index: number,
  options: FuzzOptions,
  report: FuzzReport,
): Promise<void> {
  const random = streamRandom(options.seed, index);
  const bytes = mutatedStream(random);
  const patient = random.chance(PATIENT_SHARE);
  const halfClose = random.chance(HALF_CLOSE_SHARE);
  const cuts = [
    0,
    ...Array.from({ length: random.int(0, 2) }, () => random.int(0, bytes.length)),
    bytes.length,
  ];
  cuts.sort((a, b) => a - b);
  let peer: Peer;
  try {
    peer = await Peer.open(path);
  } catch (error) {
    report.endings.add(`connect ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    await sleep(10);
    return;
  }
  report.streams++;
  for (let i = 1; i < cuts.length; i++) {
    if ((await peer.write(bytes.subarray(cuts[i - 1], cuts[i]), STALL_MS)) !== 'written') break;
    report.bytesSent += (cuts[i] as number) - (cuts[i - 1] as number);
  }
  if (halfClose) peer.end();
  const started = Date.now();
  while (
    peer.isOpen &&
    Date.now() - started < options.maxWaitMs &&
    (patient || peer.quietMs < options.quietMs)
  ) {
    await Promise.race([peer.closed, sleep(options.quietMs / 3)]);
  }
  report.endings.add(peer.isOpen ? (patient ? 'still open' : 'quiet') : 'closed by server');
  peer.destroy();
  countAnswers(peer.records, report.answers);
  const failure = checkAnswer(bytes, peer);
  if (failure === undefined) return;
  report.failureCount++;
  if (report.failures.length < KEPT_FAILURES) report.failures.push({ stream: index, reason: failure });
}
