/**
 * `mmml serve`: the prediction server (server.ts) started from the CLI. Flags as server.ts:
 * --port --host --model NAME[@VER]... --registry --config --set.
 */
import type { CliContext } from "../context.ts";

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { main } = await import("../../../server.ts");
  return await main(args, ctx.env);
}
