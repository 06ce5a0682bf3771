/**
 * Runs the compiled ./mmml (from `deno task compile`) the way a user on a bare host would: no Deno, no
 * node_modules, only the binary. Ignored, with the reason in its name, where no binary was built (as on
 * hosts where `deno compile` cannot fetch its runtime).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BINARY = join(ROOT, "mmml");
const built = (() => {
  try {
    return Deno.statSync(BINARY).isFile;
  } catch {
    return false;
  }
})();

async function mmml(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(BINARY, { args, cwd: ROOT, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test({
  name: built
    ? "the compiled ./mmml prints its version, runs doctor, trains on iris and predicts"
    : "the compiled ./mmml (skipped: no ./mmml; `deno task compile` builds it where deno can fetch its runtime)",
  ignore: !built,
  async fn(t) {
    const registry = await Deno.makeTempDir({ prefix: "mmml_binary_" });
    try {
      await t.step("--version", async () => {
        const r = await mmml(["--version"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `mmml ${denoJson.version}\n`);
      });
      await t.step("doctor --json finds the embedded wasm files and ONNX Runtime", async () => {
        const r = await mmml(["doctor", "--json", "--registry", registry]);
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout);
        assert.equal(report.backends.find((b: { name: string }) => b.name === "wasm").available, true);
        assert.equal(
          report.onnxruntime.providers.find((p: { provider: string }) => p.provider === "cpu").available,
          true,
        );
      });
      await t.step("train on the iris fixture, then predict with the registered model", async () => {
        const trained = await mmml([
          "train",
          "--data",
          "fixtures/iris.csv",
          "--label",
          "species",
          "--epochs",
          "2",
          "--registry",
          registry,
          "--json",
        ]);
        assert.equal(trained.code, 0, trained.stderr);
        const run = JSON.parse(trained.stdout);
        const predicted = await mmml([
          "predict",
          "--model",
          `${run.name}@${run.version}`,
          "--input",
          "fixtures/iris.csv",
          "--registry",
          registry,
          "--json",
        ]);
        assert.equal(predicted.code, 0, predicted.stderr);
        assert.equal(JSON.parse(predicted.stdout).predictions.length, 150);
      });
    } finally {
      await Deno.remove(registry, { recursive: true });
    }
  },
});
