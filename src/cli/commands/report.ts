/**
 * `mmml report NAME[@VERSION] [--registry DIR|URL] [--out FILE] [--open] [--json]`: renders a registered
 * version's training report (one self-contained HTML file) from its artifacts, after checking their
 * hashes. Version folders are immutable, so the report goes to --out or ./NAME-vVERSION-report.html,
 * written atomically. --open hands the file to $BROWSER, else the system's opener.
 */
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { openRegistry } from "../../registry/open_registry.ts";
import { renderReport } from "../../report/html_report.ts";
import { loadReportInput } from "../../report/load_report_input.ts";
import { cwdPath, DEFAULT_REGISTRY } from "./model_flags.ts";
import { writeAtomically } from "./write_atomically.ts";

export const REPORT_SPEC = {
  name: "report",
  summary: "Write a registered version's training report: one HTML file with charts that renders offline.",
  flags: {
    registry: {
      type: "string",
      valueName: "DIR|URL",
      description: "registry folder or postgres:// URL (default models/)",
    },
    out: {
      type: "string",
      short: "o",
      valueName: "FILE",
      description: "output file (default NAME-vVERSION-report.html)",
    },
    open: { type: "boolean", description: "open the report in a browser ($BROWSER, else the system's)" },
    json: JSON_FLAG,
  },
  positionals: ["NAME[@VERSION]"],
} as const satisfies CommandSpec;

/** The program that opens a file on each OS when $BROWSER is not set. */
export const OPENERS = Object.freeze(
  {
    linux: ["xdg-open"],
    darwin: ["open"],
    windows: ["cmd", "/c", "start", ""],
  } as const satisfies Partial<Record<typeof Deno.build.os, readonly string[]>>,
);

/** How long --open waits to see whether the opener failed before leaving it running. */
const OPENER_WAIT_MS = 3000;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals, help } = parseCommandArgs(args, REPORT_SPEC);
  if (help) {
    ctx.stdout(formatHelp(REPORT_SPEC));
    return 0;
  }
  const location = values.registry ?? DEFAULT_REGISTRY;
  const registry = await openRegistry(/^[a-z]+:\/\//i.test(location) ? location : cwdPath(location, ctx));
  let html: string;
  let name: string;
  let number: number;
  try {
    const version = await registry.resolve(positionals[0]);
    ({ name, version: number } = version.meta);
    await registry.verify(version);
    html = renderReport(await loadReportInput(version, { cwd: ctx.cwd }));
  } finally {
    await registry.close();
  }
  const out = values.out ?? `${name}-v${number}-report.html`;
  const path = cwdPath(out, ctx);
  await writeAtomically(path, html, "--out");
  const bytes = new TextEncoder().encode(html).length;
  if (values.json) {
    ctx.stdout(JSON.stringify({ model: name, version: number, path, bytes }) + "\n");
  } else {
    ctx.stdout(`${name}@${number} -> ${out} (${bytes} bytes)\n`);
  }
  if (values.open) await openFile(path, ctx);
  return 0;
}

/**
 * Starts $BROWSER (a command line; "%s" marks where the file goes, else it is appended) or the OS
 * opener on `path`. A failure to open is a warning: the report is written either way.
 */
async function openFile(path: string, ctx: CliContext): Promise<void> {
  const browser = ctx.env.BROWSER?.split(":")[0]?.trim();
  const base = browser ? browser.split(/\s+/) : [...(OPENERS[Deno.build.os as keyof typeof OPENERS] ?? [])];
  if (base.length === 0) {
    ctx.logger.warn(`--open: no opener known for ${Deno.build.os}; set BROWSER or open ${path} yourself`);
    return;
  }
  const argv = base.some((a) => a.includes("%s"))
    ? base.map((a) => a.replaceAll("%s", path))
    : [...base, path];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? `${argv[0]} was not found`
      : err instanceof Deno.errors.PermissionDenied || (err as Error).name === "NotCapable"
      ? `starting ${argv[0]} needs --allow-run`
      : (err as Error).message;
    ctx.logger.warn(`--open: ${why}; open ${path} yourself`);
    return;
  }
  // A browser named by $BROWSER may run until it is closed: wait only long enough to catch a failure.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    child.status,
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), OPENER_WAIT_MS))),
  ]);
  clearTimeout(timer);
  if (status === null) child.unref();
  else if (!status.success) {
    ctx.logger.warn(`--open: ${argv[0]} exited with status ${status.code}; open ${path} yourself`);
  }
}
