/**
 * Tabular data for a resumed run: prepareTabularData (tabular_data.ts) with the run's saved schema,
 * classes and fitted preprocessor, after checking that the saved config still names its data.
 */
import type { MmmlConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { prepareTabularData, type SavedTabular, type TabularData } from "./tabular_data.ts";

export type { SavedTabular };

/** Reads and splits `config.data` as the original run did, encoding it with the saved preprocessing. */
export async function prepareSavedTabularData(
  config: MmmlConfig,
  saved: SavedTabular,
  logger: Logger,
): Promise<TabularData> {
  if (!config.data.path || !config.data.label) {
    throw new MmmlError("artifact_corrupt", "the saved config.json names no data.path or data.label");
  }
  return await prepareTabularData(config, logger, saved);
}
