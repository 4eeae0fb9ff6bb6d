// The lazy Request and the light Response implement the common members themselves and hand every other
// member of the native class to a real instance built on first use. This is the one place that wiring
// is done, so that both stay in step with what the runtime's class has.

/**
 * Makes `Lazy` a subclass of `Native` as far as the language can tell (`instanceof`, the prototype chain,
 * `Object.prototype.toString`), and serves each member of `Native.prototype` that `Lazy.prototype` does
 * not define itself — methods, accessors and symbol-keyed methods such as `util.inspect`'s — from the
 * real object `toNative(this)` returns. `nativeSample` is a fresh native instance: runtimes whose
 * internal slots are symbol-keyed own properties (undici before Node 24) get those slots forwarded too.
 */
export function delegateToNative<Native extends object>(
  Lazy: { prototype: object },
  NativeClass: { prototype: Native },
  nativeSample: Native,
  toNative: (self: never) => Native,
): void {
  const target = Lazy.prototype;
  const own = new Set<string | symbol>(Reflect.ownKeys(target));
  const call = toNative as (self: object) => Record<string | symbol, unknown>;
  for (const key of Reflect.ownKeys(NativeClass.prototype)) {
    if (own.has(key) || key === 'constructor' || key === Symbol.toStringTag) continue;
    const descriptor = Object.getOwnPropertyDescriptor(NativeClass.prototype, key);
    if (!descriptor) continue;
    if (typeof descriptor.value === 'function') {
      Object.defineProperty(target, key, {
        configurable: true,
        writable: true,
        value(this: object, ...args: unknown[]) {
          const real = call(this);
          return (real[key] as (...a: unknown[]) => unknown).apply(real, args);
        },
      });
    } else if (descriptor.get) {
      Object.defineProperty(target, key, {
        configurable: true,
        get(this: object) {
          return call(this)[key];
        },
      });
    }
  }
  for (const slot of Object.getOwnPropertySymbols(nativeSample)) {
    Object.defineProperty(target, slot, {
      configurable: true,
      get(this: object) {
        return call(this)[slot];
      },
    });
  }
  Object.setPrototypeOf(target, NativeClass.prototype);
}
