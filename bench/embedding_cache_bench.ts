/**
 * `deno task bench embedding-cache`: the embedding cache's speed-up on the Fashion-MNIST 5k set (500 images
 * per class, Debian's dataset-fashion-mnist) at 64 px with ResNet-18, a frozen backbone and no augmentation:
 * the same run with training.cache_embeddings off (every epoch runs the backbone) and on (the backbone runs
 * once, then the head trains on the features). Epoch seconds are wall time per epoch including validation,
 * from each version's metrics.json; the backbone's one pass is reported beside them.
 */
import { join } from "node:path";
import { median } from "../src/host/train_bench.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const SCRIPT = new URL("../scripts/fashion_mnist_to_folders.ts", import.meta.url).pathname;

async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

const medianSeconds = (values: number[]) => Number(median(values).toFixed(3));

export async function runEmbeddingCacheBench(
  o: { data?: string; epochs: number; log: (line: string) => void },
): Promise<Record<string, unknown>> {
  const work = await Deno.makeTempDir({ prefix: "mmml_embedding_bench_" });
  try {
    let data = o.data;
    if (!data) {
      data = join(work, "fashion");
      const made = await run(Deno.execPath(), ["run", "-A", SCRIPT, data, "--train-per-class", "500"]);
      if (made.code !== 0) throw new Error(`fashion_mnist_to_folders: ${made.stderr.trim()}`);
    }
    const result: Record<string, unknown> = { data: "fashion-mnist 5k", model: "resnet18", image_size: 64 };
    for (const cache of [false, true]) {
      const epochs = cache ? o.epochs : Math.min(2, o.epochs);
      o.log(`embedding-cache bench: ${epochs} epoch(s) with training.cache_embeddings=${cache}`);
      const r = await run(Deno.execPath(), [
        "run",
        "-A",
        CLI,
        "train",
        "--data",
        join(data, "train"),
        "--model",
        "resnet18",
        "--image-size",
        "64",
        "--epochs",
        String(epochs),
        "--freeze-backbone",
        "--registry",
        join(work, "models"),
        "--name",
        `cache_${cache}`,
        "--json",
        ...[
          "data.image.augment.enabled=false",
          "training.early_stopping.enabled=false",
          "training.progress=false",
        ]
          .flatMap((s) => ["--set", s]),
        "--set",
        `training.cache_embeddings=${cache}`,
      ]);
      if (r.code !== 0) throw new Error(`train failed: ${r.stderr.trim().split("\n").at(-1)}`);
      const trained = JSON.parse(r.stdout);
      const metrics = JSON.parse(await Deno.readTextFile(join(trained.artifact, "metrics.json")));
      const seconds = (metrics.history as { seconds: number }[]).map((h) => Number(h.seconds.toFixed(3)));
      const pass = r.stderr.match(/embedding cache: \d+ images -> \d+ features each in ([\d.]+) s/);
      result[cache ? "cached" : "uncached"] = {
        epoch_seconds: seconds,
        median_epoch_s: medianSeconds(seconds),
        backbone_pass_s: pass ? Number(pass[1]) : null,
        val_accuracy: trained.metrics.val?.accuracy ?? null,
      };
    }
    const un = result.uncached as { median_epoch_s: number };
    const ca = result.cached as { median_epoch_s: number };
    result.epoch_speedup = Number((un.median_epoch_s / ca.median_epoch_s).toFixed(1));
    return result;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
