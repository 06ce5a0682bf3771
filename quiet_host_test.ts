/**
 * The first hour on a healthy CPU-only host, as a new user runs it (`deno task mmml ...` from the README,
 * in a shell without XDG_RUNTIME_DIR and without nvidia-smi): the quick start's training, `doctor` and
 * `serve` of a tabular model print nothing that looks like an error. Optional parts that are absent (CUDA,
 * a GPU WebGPU adapter) are said at info level, with how to get them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL(".", import.meta.url).pathname;
/** A user's plain shell: no XDG_RUNTIME_DIR (CI sets one), no colour codes to strip. */
const ENV = {
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  HOME: Deno.env.get("HOME") ?? "/tmp",
  NO_COLOR: "1",
};
/** What reads as trouble: error or warning words, ONNX Runtime's `[E:` lines, ANSI red, panics. */
const ALARMING = new RegExp(
  String.raw`\berror\b|\bfail(ed|ure|s)?\b|\bwarn(ing)?\b|\[E:|\x1b\[[0-9;]*31m|panic|"level":"(warn|error)"`,
  "i",
);

function alarming(stderr: string): string[] {
  return stderr.split("\n").filter((line) => ALARMING.test(line));
}

function task(args: string[], stdout: "piped" | "null" = "piped") {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "mmml", ...args],
    cwd: ROOT,
    env: ENV,
    clearEnv: true,
    stdout,
    stderr: "piped",
  });
}

Deno.test("the quick start, doctor and serve of a tabular model print nothing alarming on a CPU-only host", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_quiet_" });
  const registry = join(dir, "models");
  try {
    await t.step("deno task mmml train (the embedded default)", async () => {
      const out = await task(["train", "--registry", registry]).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      assert.deepEqual(alarming(stderr), []);
      // The demo's 104 training rows train at batch 16 (7 steps an epoch), not the 2 steps of batch 64.
      const artifact = new TextDecoder().decode(out.stdout).match(/artifacts: (.*)\n/)![1];
      assert.equal(
        JSON.parse(await Deno.readTextFile(join(artifact, "config.json"))).training.batch_size,
        16,
      );
    });

    await t.step("deno task mmml doctor", async () => {
      const out = await task(["doctor", "--registry", registry]).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      assert.deepEqual(alarming(stderr), []);
      assert.match(
        new TextDecoder().decode(out.stdout),
        /cuda +no: not installed .*ONNXRUNTIME_NODE_INSTALL=cuda12/,
      );
    });

    await t.step("deno task mmml serve, with /health's host report gathered", async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      const child = task(["serve", "--port", String(port), "--registry", registry, "--model", "iris"], "null")
        .spawn();
      let stderr = "";
      const reading = (async () => {
        for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
      })();
      try {
        const deadline = Date.now() + 60_000;
        let health: { doctor?: { state: string } } = {};
        while (health.doctor?.state !== "ready" && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json(), () => ({}));
        }
        assert.equal(health.doctor?.state, "ready", `no host report within 60 s; stderr:\n${stderr}`);
        const predicted = await fetch(`http://127.0.0.1:${port}/predict/tabular`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "iris",
            instances: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }],
          }),
        });
        assert.equal(predicted.status, 200, await predicted.text());
      } finally {
        child.kill("SIGTERM");
        assert.equal((await child.status).code, 0, stderr);
        await reading;
      }
      assert.match(stderr, /"msg":"ready"/);
      assert.deepEqual(alarming(stderr), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
