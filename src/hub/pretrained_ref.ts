/**
 * What `--pretrained` (model.pretrained) names, as a local file:
 * - `imagenet`: the architecture's ImageNet weights on the Hugging Face hub (IMAGENET_WEIGHTS);
 * - `hf:ORG/REPO[@REVISION]`: any repo with a timm/torchvision-layout `model.safetensors` (revision
 *   default `main`; a branch, tag or commit);
 * - anything else: a local .safetensors or MMMLW1 file, as before.
 */
import type { ModelConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { hubFile, type HubOptions } from "./hf_hub.ts";

type VisionArch = Exclude<ModelConfig["arch"], "mlp">;

/**
 * timm's ImageNet-1k weights per architecture. The ResNets are torchvision's own weights republished by
 * timm (`tv_in1k`), with torchvision's tensor names; the EfficientNets are timm's (`ra_in1k`: RandAugment
 * recipe), whose tensor names pretrained_sources.ts maps onto torchvision's. Not pinned to a commit or a
 * sha256: the hub could not be reached from where this was written; the hub's own sha256 (the ETag of an
 * LFS file) is checked on every download.
 */
export const IMAGENET_WEIGHTS = Object.freeze(
  {
    resnet18: "timm/resnet18.tv_in1k",
    resnet34: "timm/resnet34.tv_in1k",
    resnet50: "timm/resnet50.tv_in1k",
    efficientnet_b0: "timm/efficientnet_b0.ra_in1k",
    efficientnet_b1: "timm/efficientnet_b1.ft_in1k",
  } as const satisfies Record<VisionArch, string>,
);

/** The hub file `value` names, or null for a local path. */
export function hubReference(value: string, arch: string): { repo: string; revision: string } | null {
  if (value === "imagenet") {
    const repo = (IMAGENET_WEIGHTS as Record<string, string>)[arch];
    if (!repo) {
      throw new MmmlError(
        "config_invalid",
        `model.pretrained: imagenet weights exist for ${
          Object.keys(IMAGENET_WEIGHTS).join(", ")
        }, not ${arch}`,
      );
    }
    return { repo, revision: "main" };
  }
  if (!value.startsWith("hf:")) return null;
  const m = /^hf:([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/.exec(value);
  if (!m) {
    throw new MmmlError(
      "config_invalid",
      `model.pretrained: expected hf:ORG/REPO or hf:ORG/REPO@REVISION, received ${JSON.stringify(value)}`,
    );
  }
  return { repo: m[1], revision: m[2] ?? "main" };
}

/**
 * A local file for `value`: itself, or the hub file it names (downloaded once, then from the cache); a
 * hub reference without a hub client (`hub` undefined) is a usage error.
 */
export async function pretrainedPath(
  value: string,
  arch: string,
  hub: HubOptions | undefined,
): Promise<string> {
  const ref = hubReference(value, arch);
  if (!ref) return value;
  if (!hub) {
    throw new MmmlError("usage", `model.pretrained: ${value} needs the hub client, which this caller lacks`);
  }
  return await hubFile({ ...ref, file: "model.safetensors" }, hub);
}
