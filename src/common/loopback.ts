import net from "node:net";

/**
 * True for a loopback host or address: `localhost`, 127.0.0.0/8, `::1`, and IPv4-mapped
 * 127.x (`::ffff:127.0.0.1`, how a dual-stack socket reports an IPv4 loopback peer).
 * `0.0.0.0` and `::` (every interface) are not loopback.
 */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost") return true;
  const v4 = bare.startsWith("::ffff:") ? bare.slice(7) : bare;
  if (net.isIPv4(v4)) return v4.startsWith("127.");
  return net.isIPv6(bare) && isIpv6Loopback(bare);
}

// "::1" in any spelling ("0:0:0:0:0:0:0:1", "::0:1").
function isIpv6Loopback(address: string): boolean {
  const [head = "", tail = ""] = address.split("::");
  const groups = address.includes("::")
    ? [...split(head), ...Array(8 - split(head).length - split(tail).length).fill("0"), ...split(tail)]
    : split(address);
  return groups.length === 8 && groups.every((g, i) => Number.parseInt(g, 16) === (i === 7 ? 1 : 0));
}

function split(part: string): string[] {
  return part ? part.split(":") : [];
}
