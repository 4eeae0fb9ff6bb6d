import { BlockList, isIP } from 'node:net';

/** Decides which TCP peers may connect. `undefined` from createAddressFilter means "everyone". */
export interface AddressFilter {
  allows(address: string | undefined): boolean;
}

/**
 * Builds the filter from allowedAddresses, or, when that option is absent, from FCGI_WEB_SERVER_ADDRS
 * (FastCGI §3.2: a comma-separated list). Entries are IPv4/IPv6 addresses or CIDR ranges; an invalid
 * entry is a startup error rather than a silently open door. Unix-socket peers have no address and are
 * always allowed (file permissions guard them).
 */
export function createAddressFilter(
  allowed: readonly string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): AddressFilter | undefined {
  const entries = allowed ?? parseEnvList(env.FCGI_WEB_SERVER_ADDRS);
  if (entries === undefined) return undefined;
  const list = new BlockList();
  for (const entry of entries) addEntry(list, entry.trim());
  return {
    allows(address) {
      if (address === undefined || address === '') return true;
      const normalized = unmapIPv4(address);
      const family = isIP(normalized);
      if (family === 0) return false;
      return list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

function parseEnvList(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').filter((entry) => entry.trim() !== '');
}

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const address = unmapIPv4(slash === -1 ? entry : entry.slice(0, slash));
  const family = isIP(address);
  if (family === 0)
    throw new TypeError(`allowedAddresses: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(address, type);
    return;
  }
  const prefixText = entry.slice(slash + 1);
  let prefix = Number(prefixText);
  // "::ffff:10.0.0.0/104" names an IPv4 range in IPv6 notation.
  if (family === 4 && address !== entry.slice(0, slash)) prefix -= 96;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || prefix < 0 || prefix > max) {
    throw new TypeError(`allowedAddresses: ${JSON.stringify(entry)} has an invalid prefix length`);
  }
  list.addSubnet(address, prefix, type);
}

/** "::ffff:127.0.0.1" (how a dual-stack listener reports IPv4 peers) → "127.0.0.1". */
function unmapIPv4(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match ? (match[1] as string) : address;
}
