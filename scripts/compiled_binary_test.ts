/**
 * Builds the one file (`deno task compile --self-extracting`, what `deno task compile` falls back to where
 * denort cannot be fetched) and runs it the way a user on a bare host would: copied alone into an empty
 * folder, with a PATH of the usual system tools and no Deno, a fresh HOME, no environment, and (where
 * `unshare -n` works, as root in CI) no network at all. It trains the embedded demo, predicts, serves,
 * answers doctor and --version, trains a small image model, and refuses a truncated copy.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };
import { compile } from "./compile.ts";
import { findNativeLibraries } from "./self_extracting.ts";
import { probeNative } from "../src/backend/probes.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIMIT_BYTES = 60 * 2 ** 20;

/** A folder of links to the system's bin folders except Deno and Node (the "usual tools"). */
async function bareToolsPath(dir: string): Promise<string> {
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  for (const from of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    for await (const e of Deno.readDir(from)) {
      if (/^(deno|node|nodejs|npm|npx|corepack)$/.test(e.name)) continue;
      await Deno.symlink(join(from, e.name), join(bin, e.name)).catch(() => {});
    }
  }
  return bin;
}

function canUnshareNet(): boolean {
  try {
    return new Deno.Command("unshare", { args: ["-n", "true"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const offline = canUnshareNet();

Deno.test({
  name:
    `the one file built by \`deno task compile\` trains, predicts, serves and answers doctor from an empty ` +
    `folder with no Deno on PATH${
      offline ? " and no network" : " (network not cut: unshare -n unavailable)"
    }`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "mmml_one_file_" });
    try {
      const lines: string[] = [];
      const built = join(dir, "built", "mmml");
      await Deno.mkdir(join(dir, "built"));
      const code = await compile({
        root: ROOT,
        output: built,
        selfExtracting: true,
        log: (l) => lines.push(l),
      });
      assert.equal(code, 0, lines.join("\n"));
      const size = (await Deno.stat(built)).size;
      assert.ok(size <= LIMIT_BYTES, `./mmml is ${(size / 2 ** 20).toFixed(1)} MiB, over 60 MiB`);

      const work = join(dir, "empty");
      const home = join(dir, "home");
      await Deno.mkdir(work);
      await Deno.mkdir(home);
      await Deno.copyFile(built, join(work, "mmml"));
      await Deno.chmod(join(work, "mmml"), 0o755);
      const env = { PATH: await bareToolsPath(dir), HOME: home, XDG_RUNTIME_DIR: home };
      const run = async (args: string[], file = "./mmml") => {
        const [cmd, all] = offline ? ["unshare", ["-n", file, ...args]] : [file, args];
        const out = await new Deno.Command(cmd, {
          args: all,
          cwd: work,
          env,
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        })
          .output();
        const text = new TextDecoder();
        return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
      };

      await t.step("a truncated copy is refused with exit 2 and unpacks nothing", async () => {
        const bytes = await Deno.readFile(built);
        await Deno.writeFile(join(work, "broken"), bytes.subarray(0, bytes.length - 1000), { mode: 0o755 });
        const r = await run(["--version"], "./broken");
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /damaged or truncated.*copy the file again/);
        const cache = [...Deno.readDirSync(join(home, ".cache", "mmml"))].map((e) => e.name);
        assert.deepEqual(cache, [], "nothing left in the cache");
        await Deno.remove(join(work, "broken"));
      });

      await t.step(
        "two first runs at once both unpack and run; one cache folder stays; then no unpacking",
        async () => {
          const [first, second] = await Promise.all([run(["--version"]), run(["--version"])]);
          for (const r of [first, second]) {
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, `mmml ${denoJson.version}\n`);
            assert.match(r.stderr, /^mmml: unpacking mmml .* \(first run only\)\n$/);
          }
          const cache = [...Deno.readDirSync(join(home, ".cache", "mmml"))].map((e) => e.name);
          assert.equal(cache.length, 1, cache.join(", "));
          const unpacked = [...Deno.readDirSync(join(home, ".cache", "mmml", cache[0]))].map((e) => e.name)
            .sort();
          // deno_dir is Deno's own cache (transpiled modules), made by the first run.
          assert.deepEqual(unpacked.filter((n) => n !== "deno_dir"), [".unpacked", "app", "deno"]);
          const again = await run(["--version"]);
          assert.equal(again.stderr, "");
          assert.equal(again.stdout, first.stdout);
        },
      );

      const hostOneDnn = (await findNativeLibraries())["libdnnl.so.2"] !== undefined;
      await t.step(
        `doctor --json finds the wasm backend, ONNX Runtime's CPU provider${
          hostOneDnn ? " and the native backend on the oneDNN inside the file" : ""
        }`,
        async () => {
          const r = await run(["doctor", "--json"]);
          assert.equal(r.code, 0, r.stderr);
          const report = JSON.parse(r.stdout);
          assert.equal(report.backends.find((b: { name: string }) => b.name === "wasm").available, true);
          const cpu = report.onnxruntime.providers.find((p: { provider: string }) => p.provider === "cpu");
          assert.equal(cpu.available, true);
          const tensorflow = report.backends.find((b: { name: string }) => b.name === "tensorflow");
          assert.match(tensorflow.install, /^not part of the one-file mmml \(.*\/mmml\)/);
          if (hostOneDnn) {
            const native = report.backends.find((b: { name: string }) => b.name === "native");
            assert.equal(native.available, true, native.reason);
            assert.match(native.details.library, /\/app\/lib\/libdnnl\.so\.2$/);
          }
        },
      );

      let model = "";
      await t.step(
        "`train` without --data trains the embedded demo into ./models, and predict reads it",
        async () => {
          const r = await run(["train", "--epochs", "3", "--json"]);
          assert.equal(r.code, 0, r.stderr);
          const trained = JSON.parse(r.stdout);
          assert.equal(trained.name, "iris");
          assert.ok(trained.metrics.test.accuracy > 0.5, r.stdout);
          model = `${trained.name}@${trained.version}`;
          await Deno.writeTextFile(
            join(work, "rows.csv"),
            "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
          );
          const p = await run(["predict", "--model", model, "--input", "rows.csv", "--json"]);
          assert.equal(p.code, 0, p.stderr);
          assert.equal(JSON.parse(p.stdout).predictions.length, 2);
        },
      );

      await t.step(
        "serve answers /ready, /predict/tabular from ONNX Runtime and /health with the one-file advice (on loopback)",
        async () => {
          const port = 20000 + Math.floor(Math.random() * 20000);
          const args = ["serve", "--port", String(port), "--model", model];
          // Serving needs the loopback interface, so this step keeps the host's network namespace.
          const server = new Deno.Command("./mmml", {
            args,
            cwd: work,
            env,
            clearEnv: true,
            stdout: "null",
            stderr: "null",
          })
            .spawn();
          try {
            let ready = false;
            for (let i = 0; i < 100 && !ready; i++) {
              ready = await fetch(`http://127.0.0.1:${port}/ready`).then((r) =>
                r.body?.cancel().then(() => r.ok)
              )
                .catch(() => false) === true;
              if (!ready) await new Promise((r) => setTimeout(r, 200));
            }
            assert.ok(ready, "server ready");
            const res = await fetch(`http://127.0.0.1:${port}/predict/tabular`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({
                model: "iris",
                instances: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }],
              }),
            });
            assert.equal((await res.json()).predictions[0].label, "setosa");
            // /health carries doctor's report, gathered in the background, with the one file's advice.
            let doctor: { state: string; report?: { backends: { name: string; install?: string }[] } } = {
              state: "pending",
            };
            for (let i = 0; i < 100 && doctor.state !== "ready"; i++) {
              doctor = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()).doctor;
              if (doctor.state !== "ready") await new Promise((r) => setTimeout(r, 200));
            }
            const tensorflow = doctor.report?.backends.find((b) => b.name === "tensorflow");
            assert.match(tensorflow?.install ?? "", /^not part of the one-file mmml/);
          } finally {
            server.kill("SIGTERM");
            await server.status;
          }
        },
      );

      await t.step(
        "an image model trains on native where libdnnl.so.2 loads, else wasm (kernels and decode workers inside)",
        async () => {
          await Deno.mkdir(join(work, "shapes"));
          const images = join(ROOT, "fixtures", "images", "flat");
          for await (const cls of Deno.readDir(images)) {
            await Deno.mkdir(join(work, "shapes", cls.name));
            for await (const f of Deno.readDir(join(images, cls.name))) {
              await Deno.copyFile(join(images, cls.name, f.name), join(work, "shapes", cls.name, f.name));
            }
          }
          const r = await run([
            "train",
            "--data",
            "shapes",
            "--model",
            "resnet18",
            "--image-size",
            "32",
            "--epochs",
            "1",
            "--json",
          ]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(JSON.parse(r.stdout).backend, (await probeNative()).available ? "native" : "wasm");
        },
      );

      await t.step(
        "scripts/gpu_check.sh beside the file runs the GPU check on lavapipe: no GPU, exit 3",
        async () => {
          await Deno.copyFile(join(ROOT, "scripts", "gpu_check.sh"), join(work, "gpu_check.sh"));
          const torch = new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"], stderr: "null" })
            .outputSync().success;
          const out = await new Deno.Command("bash", {
            args: ["gpu_check.sh", "--models", "resnet18"],
            cwd: work,
            env: { ...env, ...(torch ? { PYTHON: "/usr/bin/python3" } : {}) },
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).output();
          const stderr = new TextDecoder().decode(out.stderr);
          assert.equal(out.code, 3, stderr);
          const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
          assert.equal(lines.length, 1);
          const summary = JSON.parse(lines[0]);
          assert.equal(summary.verdict, "no-gpu");
          assert.equal(summary.webgpu_cpu_adapter, true);
          assert.ok(summary.models.resnet18.mmml.images_per_s > 0, lines[0]);
          if (torch) assert.ok(summary.models.resnet18.ratio > 0, lines[0]);
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
