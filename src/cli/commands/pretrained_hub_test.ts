/**
 * Issue 17 through the front door, with a loopback hub (HF_ENDPOINT): `--pretrained hf:timm/resnet18.tv_in1k`
 * downloads a ResNet-18 state dict once (a torchvision-layout safetensors with 1,000 classes, so the head is
 * left out for 3 classes), a second run with HF_HUB_OFFLINE=1 trains from the cache with the hub gone,
 * and an unreachable hub without a cache is exit 2 naming the repo and the offline way out.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { useBackend } from "../../backend/choose.ts";
import { ModelConfig } from "../../config/schema.ts";
import { buildModel } from "../../models/architectures.ts";
import { createRng } from "../../random.ts";
import { cli } from "../../../testing/cli.ts";
import { fakeHub } from "../../../testing/fake_hub.ts";
import { drawPattern, encodeImage, type Pattern } from "../../../testing/image_fixtures.ts";
import { safetensorsBytes } from "../../../testing/safetensors_file.ts";
import { stateDictOf } from "../../../testing/torch_state_dict.ts";

await useBackend("wasm");

Deno.test("train --pretrained hf:ORG/REPO downloads once, trains offline from the cache, and names an unreachable hub", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_hub_train_" });
  const source = buildModel(ModelConfig.parse({ arch: "resnet18" }), {
    inputShape: [32, 32, 3],
    numClasses: 1000,
  });
  const weights = safetensorsBytes(stateDictOf(source));
  source.net.dispose();
  const hub = await fakeHub({
    "timm/resnet18.tv_in1k": { "model.safetensors": weights as Uint8Array<ArrayBuffer> },
  });
  try {
    const rng = createRng(4);
    for (const pattern of ["circle", "square", "stripes"] as Pattern[]) {
      await Deno.mkdir(join(dir, "pics", pattern), { recursive: true });
      for (let i = 0; i < 6; i++) {
        await Deno.writeFile(
          join(dir, "pics", pattern, `${i}.png`),
          await encodeImage(drawPattern(pattern, 20, 20, rng), "png_rgb"),
        );
      }
    }
    const env = { HF_ENDPOINT: hub.url, HF_HOME: join(dir, "hf") };
    const train = (extra: string[], e: Record<string, string>) =>
      cli([
        "train",
        "--data",
        join(dir, "pics"),
        "--model",
        "resnet18",
        "--image-size",
        "32",
        "--epochs",
        "1",
        "--batch-size",
        "6",
        "--backend",
        "wasm",
        "--json",
        ...extra,
      ], { cwd: dir, env: e });
    const first = await train(["--pretrained", "hf:timm/resnet18.tv_in1k"], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /pretrained: \d+ weights from hf:timm\/resnet18\.tv_in1k","skipped":\["head"\]/,
    );
    assert.equal(hub.downloads(), 1);
    const config = JSON.parse(
      await Deno.readTextFile(join(JSON.parse(first.stdout).artifact, "config.json")),
    );
    assert.equal(
      config.model.pretrained,
      "hf:timm/resnet18.tv_in1k",
      "the version records what was asked for",
    );

    await hub.close();
    const offline = await train(["--pretrained", "hf:timm/resnet18.tv_in1k"], {
      ...env,
      HF_HUB_OFFLINE: "1",
    });
    assert.equal(offline.code, 0, offline.stderr);
    const gone = await train(["--pretrained", "hf:timm/resnet18.tv_in1k@v2"], env);
    assert.equal(gone.code, 2);
    assert.match(
      gone.stderr,
      /Cannot get model\.safetensors of timm\/resnet18\.tv_in1k@v2 .*unreachable.*--pretrained FILE/,
    );
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});
