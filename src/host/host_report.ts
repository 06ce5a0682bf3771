/**
 * The host facts `mmml doctor` reports (backends, WebGPU adapter, ONNX Runtime providers, CPU, memory,
 * disk, GPUs, registry), gathered once by the server for GET /health. Gathering takes about a second
 * (it opens a session on every ONNX Runtime provider and asks for a WebGPU adapter), so the server starts
 * it in the background once its port is open and its models are loading, and /health says "gathering"
 * until it is done. The gatherer is passed in (server.ts wires gatherDoctorReport), which keeps tfjs and
 * ONNX Runtime out of src/server.
 */
import { redactDeep, redactSecrets } from "../redact.ts";

/** What /health shows under `doctor`. `report` is doctor's `--json` object. */
export type HostReportState =
  | { state: "not_started" }
  | { state: "gathering" }
  | { state: "ready"; seconds: number; report: unknown }
  | { state: "failed"; seconds: number; error: string };

export interface HostReport {
  /** Starts gathering on the first call; every call returns the same promise, which never rejects. */
  gather(): Promise<void>;
  /** The report once gathered, else where gathering stands. */
  current(): HostReportState;
}

/** Wraps `gather` (e.g. `() => gatherDoctorReport(...)`) so it runs once and its result is cached. */
export function createHostReport(
  gather: () => Promise<unknown>,
  { clock = () => performance.now() }: { clock?: () => number } = {},
): HostReport {
  let state: HostReportState = { state: "not_started" };
  let running: Promise<void> | undefined;
  return {
    gather() {
      running ??= (async () => {
        state = { state: "gathering" };
        const started = clock();
        const seconds = () => Math.round(clock() - started) / 1000;
        try {
          const report = await gather();
          state = { state: "ready", seconds: seconds(), report: redactDeep(report) };
        } catch (err) {
          state = {
            state: "failed",
            seconds: seconds(),
            error: redactSecrets(err instanceof Error ? err.message : String(err)),
          };
        }
      })();
      return running;
    },
    current: () => state,
  };
}
