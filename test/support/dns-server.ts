import dns2 from 'dns2';

const { Packet } = dns2;
/** Response codes (RFC 1035 §4.1.1); dns2's typings lack `Packet.RCODE`. */
const SERVFAIL = 2;
const NXDOMAIN = 3;

/** A TXT record as published: one value, cut into 255-byte strings on the wire as DNS requires. */
export type TxtZone = Map<string, string[]>;

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for HERALD_DNS_SERVERS. */
  servers: string;
  /** TXT records by name (lower case, no trailing dot); a name absent here answers NXDOMAIN. */
  zone: TxtZone;
  /** Names that answer SERVFAIL, as a broken authoritative server would. */
  failing: Set<string>;
  /** Names that get no answer at all, as behind a dead resolver. */
  silent: Set<string>;
  close(): Promise<void>;
}

const chunks = (value: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out.length === 0 ? [''] : out;
};

/** A DNS server on an ephemeral UDP port of loopback that answers TXT queries from `zone`. */
export async function startDnsServer(initial: Record<string, string[]> = {}): Promise<TestDnsServer> {
  const zone: TxtZone = new Map(Object.entries(initial).map(([name, values]) => [name.toLowerCase(), values]));
  const failing = new Set<string>();
  const silent = new Set<string>();
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = question.name.toLowerCase().replace(/\.$/, '');
      if (silent.has(name)) return;
      if (failing.has(name)) {
        response.header.rcode = SERVFAIL;
      } else if (!zone.has(name)) {
        response.header.rcode = NXDOMAIN;
      } else if (question.type === Packet.TYPE.TXT) {
        for (const value of zone.get(name)!) {
          const record = {
            name: question.name,
            type: Packet.TYPE.TXT,
            class: Packet.CLASS.IN,
            ttl: 60,
            data: chunks(value),
          };
          // The encoder is chosen by `type`; the typings ask for a `toBuffer` a plain record does not need.
          response.answers.push(record as unknown as (typeof response.answers)[number]);
        }
      }
      void send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const udp = addresses.udp as { port: number } | undefined;
  if (!udp) throw new Error('the test DNS server did not bind a UDP port');
  return {
    servers: `127.0.0.1:${udp.port}`,
    zone,
    failing,
    silent,
    close: () => server.close(),
  };
}
