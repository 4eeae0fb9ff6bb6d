// A fast path for the global Response on runtimes that allow it, found at start-up, never assumed.
//
// undici up to the one in Node 22 keeps a Response's original body (the string or bytes it was built
// from) in a symbol-keyed `state` slot beside its stream. Writing that directly skips the stream reader,
// its promises and a turn of the event loop. Node 24's undici keeps the same state in a private class
// field that nothing outside the class can read: there, and on any runtime where the probe below does
// not find exactly what it expects, every Response body is read through its public stream (see
// response-writer.ts), which yields the same bytes.

type SourceSlot = { body?: { source?: unknown } | null } | undefined;

function findSourceSlot(): symbol | null {
  try {
    const sample = 'fcgi-probe';
    const response = new Response(sample);
    for (const slot of Object.getOwnPropertySymbols(response)) {
      const state = (response as unknown as Record<symbol, SourceSlot>)[slot];
      if (slot.description === 'state' && state?.body?.source === sample) return slot;
    }
  } catch {
    // Fall through: no fast path.
  }
  return null;
}

let sourceSlot: symbol | null = findSourceSlot();

/** Whether the body-source fast path is in use on this runtime. */
export function nativeBodySourceAvailable(): boolean {
  return sourceSlot !== null;
}

/** @internal For tests: read every Response through its stream, as runtimes without the slot do. */
export function disableNativeBodySource(disabled: boolean): void {
  sourceSlot = disabled ? null : findSourceSlot();
}

/**
 * The string or bytes a native Response was built from, while its body is untouched; undefined for any
 * other body (a stream, Blob, FormData...), a used body, or a runtime without the slot.
 */
export function nativeBodySource(response: Response): string | Uint8Array | undefined {
  if (sourceSlot === null || !(response instanceof Response)) return undefined;
  const source = (response as unknown as Record<symbol, SourceSlot>)[sourceSlot]?.body?.source;
  return typeof source === 'string' || source instanceof Uint8Array ? source : undefined;
}
