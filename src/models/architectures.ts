/**
 * The table of model builders by architecture name. Loading a saved model rebuilds it from here and then
 * loads the weights, so architectures with custom layers load the same way as the MLP. Vision
 * architectures are added to the table as they are written.
 */
import type { ArchName, ModelConfig } from "../config/schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { buildEfficientnet } from "./efficientnet.ts";
import { buildMlp } from "./mlp.ts";
import type { MmmlModel, ModelBuilder, ModelSpec } from "./model.ts";
import { buildResnet } from "./resnet.ts";

/** Builders by `model.arch`; an architecture missing here is not available in this build. */
export const ARCHITECTURES = Object.freeze(
  {
    mlp: buildMlp,
    resnet18: buildResnet,
    resnet34: buildResnet,
    resnet50: buildResnet,
    efficientnet_b0: buildEfficientnet,
    efficientnet_b1: buildEfficientnet,
  } as const satisfies Record<ArchName, ModelBuilder>,
);

/** Builds an unfitted model of `config.arch`, or fails naming the architectures this build has. */
export function buildModel(config: ModelConfig, spec: ModelSpec): MmmlModel {
  const builder: ModelBuilder | undefined =
    (ARCHITECTURES as Partial<Record<string, ModelBuilder>>)[config.arch];
  if (!builder) {
    throw new MmmlError(
      "unsupported",
      `model.arch: expected one of ${Object.keys(ARCHITECTURES).join(", ")} in this build, received ${
        describeValue(config.arch)
      }`,
    );
  }
  return builder(config, spec);
}
