/** The shipped configs/ files must keep loading as the schema evolves. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadConfig } from "./load_config.ts";
import { MmmlConfig } from "./schema.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const yamlIn = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(root + dir))).filter((e) => e.isFile && /\.ya?ml$/.test(e.name))
    .map((e) => `${dir}/${e.name}`).sort();

Deno.test("configs/*.yaml combine into a valid config that states the defaults", async () => {
  const files = await yamlIn("configs");
  assert.deepEqual(files, [
    "configs/data.yaml",
    "configs/deployment.yaml",
    "configs/model.yaml",
    "configs/training.yaml",
  ]);
  const { config, sources } = await loadConfig({ cwd: root, files });
  assert.deepEqual(sources, ["defaults", ...files]);
  // The four files document the defaults; a change to either must be made in both.
  assert.deepEqual(config, MmmlConfig.parse({}));
});

Deno.test("each configs/examples file loads alone and over the four base files", async () => {
  const base = await yamlIn("configs");
  const examples = await yamlIn("configs/examples");
  assert.ok(examples.includes("configs/examples/tabular_iris.yaml"));
  assert.ok(examples.includes("configs/examples/image_folder.yaml"));
  for (const example of examples) {
    const alone = await loadConfig({ cwd: root, files: [example] });
    const layered = await loadConfig({ cwd: root, files: [...base, example] });
    assert.deepEqual(
      layered.config,
      alone.config,
      `${example} over the base files differs from ${example} alone`,
    );
  }
  const iris = await loadConfig({ cwd: root, files: ["configs/examples/tabular_iris.yaml"] });
  assert.equal(iris.config.data.path, "fixtures/iris.csv");
  assert.equal(iris.config.data.label, "species");
  const images = await loadConfig({ cwd: root, files: ["configs/examples/image_folder.yaml"] });
  assert.deepEqual(
    [images.config.model.arch, images.config.model.arch !== "mlp" && images.config.model.stem],
    [
      "resnet18",
      "small",
    ],
  );
  assert.equal(images.config.data.image.size, 32);
});
