import { isIPv4, isIPv6 } from 'node:net';

/**
 * The part of a client address that identifies one client for per-address limits: an IPv4 address as is
 * (also when IPv4-mapped), an IPv6 address by its /64 network, because a single subscriber is routinely
 * handed a whole /64 and could otherwise take a fresh address for every guess.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) {
    return 'unknown';
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] && isIPv4(mapped[1])) {
    return mapped[1];
  }
  if (!isIPv6(address)) {
    return address;
  }
  const [withoutZone = ''] = address.toLowerCase().split('%');
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  // `::` stands for the zero groups that make eight (an embedded IPv4 tail counts as two).
  const tailSize = tailGroups.reduce((size, group) => size + (group.includes('.') ? 2 : 1), 0);
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - headGroups.length - tailSize)).fill('0');
  const network = [...headGroups, ...zeros, ...tailGroups]
    .slice(0, 4)
    .map((group) => (parseInt(group, 16) || 0).toString(16));
  return `${network.join(':')}::/64`;
}
