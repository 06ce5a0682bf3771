/**
 * Doctor's advice when mmml runs from the one file (`deno task compile`): the optional engines a clone
 * installs with one command (tfjs-node-gpu, ONNX Runtime's CUDA provider) cannot be added to the file, so
 * their install hints say where to get them instead of naming a command that would not work there.
 */
import type { DoctorReport } from "./doctor_report.ts";

const CLONE_ONLY = "not part of the one-file mmml";

/** The report with the clone-only install hints rewritten for the one file at `file`. */
export function adviceForOneFile(report: DoctorReport, file: string): DoctorReport {
  const backends = report.backends.map((b) =>
    b.name === "tensorflow" && !b.available
      ? {
        ...b,
        install:
          `${CLONE_ONLY} (${file}): --backend tensorflow needs a clone of mmml and \`deno task setup:gpu\` ` +
          "(tfjs-node-gpu 4.22: CUDA 11.x and cuDNN 8); --backend webgpu runs on the GPU from the one file",
      }
      : b
  );
  const onnxruntime = "providers" in report.onnxruntime
    ? {
      ...report.onnxruntime,
      providers: report.onnxruntime.providers.map((p) =>
        (p.provider === "cuda" || p.provider === "tensorrt") && !p.available &&
          /not installed/.test(p.reason ?? "")
          ? {
            ...p,
            reason:
              `${CLONE_ONLY}: the one file carries ONNX Runtime's CPU provider only; the ${p.provider} ` +
              "provider (CUDA 12) needs a clone and `ONNXRUNTIME_NODE_INSTALL=cuda12 deno install " +
              "--allow-scripts=npm:onnxruntime-node`",
          }
          : p
      ),
    }
    : report.onnxruntime;
  return { ...report, backends, onnxruntime };
}
