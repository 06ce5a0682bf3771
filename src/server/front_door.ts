/**
 * The server's public socket. Deno.serve has no header-read timeout and no connection limit
 * (denoland/deno#3515), so a client sending one header byte every few seconds would hold a connection
 * forever, and enough of them would exhaust the server. The front door accepts connections itself and
 * forwards their bytes untouched to Deno.serve listening on a private loopback port, while it:
 * - closes a connection whose request headers take longer than `header_timeout_ms`,
 * - closes a keep-alive connection idle for `idle_timeout_ms`,
 * - answers 503 with Retry-After and closes beyond `max_connections` open connections,
 * - answers 431 to a header block over 64 KiB.
 * Everything else (HTTP parsing, routing, keep-alive) stays Deno.serve's.
 */
import { HttpFramer } from "./http_framer.ts";

export interface FrontDoorLimits {
  header_timeout_ms: number;
  idle_timeout_ms: number;
  max_connections: number;
  retry_after_s: number;
}

export interface FrontDoor {
  addr: Deno.NetAddr;
  /** Open client connections. */
  readonly connections: number;
  /** Connections closed for a slow header, an idle keep-alive or the connection limit, by reason. */
  readonly closed: Readonly<
    Record<"header_timeout" | "idle_timeout" | "too_many" | "header_too_large", number>
  >;
  /** Stops accepting and closes every connection. */
  close(): void;
}

const encoder = new TextEncoder();

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

function plainResponse(status: string, text: string, extra = ""): Uint8Array {
  const body = JSON.stringify({ error: { code: "overloaded", message: text } });
  return encoder.encode(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${
      encoder.encode(body).length
    }\r\n` +
      `${extra}connection: close\r\n\r\n${body}`,
  );
}

/** Listens on `host:port` and forwards to the server at `backend`. Throws what Deno.listen throws. */
export function openFrontDoor(
  { host, port, backend, limits }: {
    host: string;
    port: number;
    backend: Deno.NetAddr;
    limits: FrontDoorLimits;
  },
): FrontDoor {
  const listener = Deno.listen({ hostname: host, port });
  const open = new Set<Deno.Conn>();
  const closed = { header_timeout: 0, idle_timeout: 0, too_many: 0, header_too_large: 0 };
  let stopping = false;

  const refuse = async (conn: Deno.Conn) => {
    closed.too_many++;
    const text =
      `The server has ${open.size} open connections, its limit (serving.limits.max_connections); ` +
      `retry in ${limits.retry_after_s} s`;
    await conn.write(
      plainResponse("503 Service Unavailable", text, `retry-after: ${limits.retry_after_s}\r\n`),
    )
      .catch(() => {});
    try {
      conn.close();
    } catch { /* gone */ }
  };

  const handle = async (client: Deno.Conn) => {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: backend.hostname, port: backend.port });
    } catch {
      client.close();
      return;
    }
    open.add(client);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // header: a request head is arriving (header clock); body: its body is; awaiting: the request is
    // complete and the server is working on it (no clock: serving.request_timeout_ms bounds that);
    // idle: the response has moved and nothing new has come (idle clock).
    let phase = "header" as "header" | "body" | "awaiting" | "idle"; // armed at connect, below
    let answered = false; // response bytes came back since the current request's head ended
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      open.delete(client);
      for (const c of [client, upstream]) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    };
    const arm = (ms: number, reason: "header_timeout" | "idle_timeout") => {
      clearTimeout(timer);
      phase = reason === "header_timeout" ? "header" : "idle";
      timer = setTimeout(() => {
        closed[reason]++;
        end();
      }, ms);
    };
    let started = false;
    const framer = new HttpFramer({
      onHeadStart: () => {
        // The first request's clock starts at connect; a later one's at its first byte.
        if (started) arm(limits.header_timeout_ms, "header_timeout");
        started = true;
      },
      onHeadEnd: () => {
        clearTimeout(timer);
        phase = "body";
        answered = false;
      },
      onHeadTooLarge: () => {
        closed.header_too_large++;
        client.write(plainResponse("431 Request Header Fields Too Large", "Request headers are over 64 KiB"))
          .catch(() => {}).finally(end);
      },
    });
    arm(limits.header_timeout_ms, "header_timeout");
    // Responses flow back untouched (a response moving keeps an idle connection open); when the server
    // closes its side, the client's closes too. Plain reads and writes on the connections: the
    // ReadableStream machinery costs more per request than the forwarding itself.
    const down = (async () => {
      const buf = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await upstream.read(buf);
        if (n === null) break;
        await writeAll(client, buf.subarray(0, n));
        answered = true;
        if (phase === "awaiting" || phase === "idle") arm(limits.idle_timeout_ms, "idle_timeout");
      }
    })().catch(() => {}).finally(end);
    try {
      const buf = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await client.read(buf);
        if (n === null || ended) break;
        const chunk = buf.subarray(0, n);
        framer.push(chunk);
        if (ended) break;
        await writeAll(upstream, chunk);
        if (framer.idle && phase === "body") {
          // A slow answer is not an idle connection: the idle clock starts when the response moves
          // (at once if it already has, as when the server refused the request before its body ended).
          if (answered) arm(limits.idle_timeout_ms, "idle_timeout");
          else {
            clearTimeout(timer);
            phase = "awaiting";
          }
        }
      }
      // The client finished sending: pass the half-close on, and let the response finish.
      await upstream.closeWrite().catch(() => {});
    } catch {
      end();
    }
    await down;
  };

  (async () => {
    for await (const conn of listener) {
      if (stopping) {
        conn.close();
        continue;
      }
      if (open.size >= limits.max_connections) {
        refuse(conn);
        continue;
      }
      handle(conn).catch(() => {});
    }
  })().catch(() => {});

  return {
    addr: listener.addr as Deno.NetAddr,
    get connections() {
      return open.size;
    },
    closed,
    close() {
      stopping = true;
      try {
        listener.close();
      } catch { /* closed */ }
    },
  };
}
