/**
 * IPv6 address text exactly as nginx prints it (ngx_inet6_ntop), shared by config/ (listen and
 * auth_http address text) and net/ (PROXY protocol, realip): the longest run of two or more zero groups
 * becomes `::` (the first one on a tie), and `::ffff:a.b.c.d` / `::a.b.c.d` keep a dotted IPv4 tail.
 */

/** nginx: ngx_inet6_ntop. `bytes` must hold 16 bytes. */
export function inet6Ntop(bytes: Uint8Array): string {
  const word = (i: number): number => ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  // Find the first longest run of zero words; runs of one word are not compressed (max starts at 1).
  let zero = -1;
  let last = -1;
  let max = 1;
  let n = 0;
  for (let i = 0; i < 16; i += 2) {
    if (word(i) !== 0) {
      if (max < n) {
        zero = last;
        max = n;
      }
      n = 0;
      continue;
    }
    if (n++ === 0) last = i;
  }
  if (max < n) {
    zero = last;
    max = n;
  }
  let out = '';
  let end = 16;
  if (zero === 0) {
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses keep a dotted tail.
    if (
      (max === 5 && bytes[10] === 0xff && bytes[11] === 0xff) ||
      max === 6 ||
      (max === 7 && bytes[14] !== 0 && bytes[15] !== 1)
    ) {
      end = 12;
    }
    out += ':';
  }
  for (let i = 0; i < end; i += 2) {
    if (i === zero) {
      out += ':';
      i += (max - 1) * 2;
      continue;
    }
    out += word(i).toString(16);
    if (i < 14) out += ':';
  }
  if (end === 12) out += `${String(bytes[12])}.${String(bytes[13])}.${String(bytes[14])}.${String(bytes[15])}`;
  return out;
}
