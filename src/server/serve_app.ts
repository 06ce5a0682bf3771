/**
 * Opens a port for the app with Deno.serve and stops it gracefully: stop accepting, let requests in
 * flight finish, then resolve. `stopOnSignals` wires that to SIGINT/SIGTERM for server.ts.
 */
import { MmmlError } from "../errors.ts";
import { type FrontDoor, type FrontDoorLimits, openFrontDoor } from "./front_door.ts";
import type { Logger } from "../log.ts";

export interface ServeAppOptions {
  host?: string;
  /** 0 picks a free port (see `addr` on the result). */
  port?: number;

  /** Aborting it shuts the server down gracefully, like `shutdown()`. */
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
}

export interface RunningServer {
  addr: Deno.NetAddr;
  /** Stops accepting, waits for requests in flight, then resolves. */
  shutdown(): Promise<void>;
  /** Resolves once the server has stopped. */
  finished: Promise<void>;
}

/** Serves `app.fetch` on `host:port`. */
export function serveApp(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  { host = "127.0.0.1", port = 8080, signal, onListen }: ServeAppOptions = {},
): RunningServer {
  // Deno.serve's own `signal` drops connections in flight; a graceful shutdown() is wired to it instead.
  let server: Deno.HttpServer;
  try {
    server = Deno.serve(
      { hostname: host, port, onListen: (addr) => onListen?.(addr as Deno.NetAddr) },
      (req) => app.fetch(req),
    );
  } catch (err) {
    throw listenError(err, host, port);
  }
  const shutdown = async () => {
    await server.shutdown();
    await server.finished;
  };
  if (signal?.aborted) shutdown();
  else signal?.addEventListener("abort", () => shutdown(), { once: true });
  return { addr: server.addr as Deno.NetAddr, shutdown, finished: server.finished };
}

/**
 * serveApp behind the front door (front_door.ts): the public port times request headers and caps
 * connections (serving.limits), and forwards to Deno.serve on a private loopback port. What `mmml serve`
 * runs unless serving.limits.front_door is false (behind a reverse proxy that does the same).
 */
export function serveAppGuarded(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  { host = "127.0.0.1", port = 8080, signal, onListen, limits }: ServeAppOptions & {
    limits: FrontDoorLimits;
  },
): Promise<RunningServer> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => app.fetch(req));
  let door: FrontDoor;
  try {
    door = openFrontDoor({ host, port, backend: server.addr as Deno.NetAddr, limits });
  } catch (err) {
    server.shutdown();
    return Promise.reject(listenError(err, host, port));
  }
  onListen?.(door.addr);
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      door.close(); // stop accepting; connections in flight go on until the server has answered them
      await server.shutdown();
      await server.finished;
    })();
  if (signal?.aborted) shutdown();
  else signal?.addEventListener("abort", () => shutdown(), { once: true });
  return Promise.resolve({ addr: door.addr, shutdown, finished: server.finished });
}

/** A port that cannot be opened is a usage problem naming the address and the way out, not an internal one. */
function listenError(err: unknown, host: string, port: number): unknown {
  if (err instanceof Deno.errors.AddrInUse) {
    return new MmmlError(
      "usage",
      `Cannot listen on ${host}:${port}: the port is already in use (another mmml serve?); choose another ` +
        `with --port N (--port 0 picks a free one)`,
      { cause: err },
    );
  }
  if (err instanceof Deno.errors.AddrNotAvailable || err instanceof Deno.errors.PermissionDenied) {
    return new MmmlError(
      "usage",
      `Cannot listen on ${host}:${port}: ${(err as Error).message}; check --host and --port`,
      { cause: err },
    );
  }
  return err;
}

export type ShutdownSignal = "SIGINT" | "SIGTERM";

/**
 * Waits for the first of `signals`, then shuts `server` down gracefully and resolves with the signal's
 * name once every request in flight has been answered. A second signal while draining is ignored:
 * the drain is bounded by the request timeout. Aborting `cancel` removes the listeners and resolves
 * with null (for a caller that stops the server itself).
 */
export function stopOnSignals(
  server: Pick<RunningServer, "shutdown">,
  { signals = ["SIGINT", "SIGTERM"], logger, cancel }: {
    signals?: ShutdownSignal[];
    logger?: Logger;
    cancel?: AbortSignal;
  } = {},
): Promise<ShutdownSignal | null> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const removeAll = () => {
      for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    };
    const handlers = signals.map((sig) => {
      const handler = () => {
        if (stopping) return;
        stopping = true;
        logger?.info("shutting down: finishing requests in flight", { signal: sig });
        server.shutdown().then(() => {
          removeAll();
          resolve(sig);
        }, reject);
      };
      Deno.addSignalListener(sig, handler);
      return [sig, handler] as const;
    });
    const onCancel = () => {
      if (stopping) return;
      stopping = true;
      removeAll();
      resolve(null);
    };
    if (cancel?.aborted) onCancel();
    else cancel?.addEventListener("abort", onCancel, { once: true });
  });
}
