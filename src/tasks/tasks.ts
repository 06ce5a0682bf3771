/**
 * The table of tasks: what differs between CSV and image-folder training lives in one TaskRules each,
 * and everything else asks this table (`taskRules(meta.task)`), never the task's name.
 */
import { join } from "node:path";
import type { MmmlConfig, Task } from "../config/schema.ts";
import { IMAGE_EXTENSIONS } from "../data/image_folder_adapter.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { IMAGE_TASK } from "./image.ts";
import { REGRESSION_TASK } from "./regression.ts";
import { TABULAR_TASK } from "./tabular.ts";
import type { TaskRules } from "./task_rules.ts";

/** Every task's rules, by name; a task the config schema names must be here. */
export const TASKS = Object.freeze(
  { tabular: TABULAR_TASK, image: IMAGE_TASK, regression: REGRESSION_TASK } as const satisfies Record<
    Task,
    TaskRules
  >,
);

/** The rules of `task`; a name from an unknown (newer) version is refused, not guessed. */
export function taskRules(task: string, what = "this model"): TaskRules {
  const rules = Object.hasOwn(TASKS, task) ? TASKS[task as Task] : undefined;
  if (!rules) {
    throw new MmmlError(
      "unsupported",
      `${what} is a ${describeValue(task)} model, which this mmml cannot handle`,
    );
  }
  return rules;
}

/** The task of a run: `data.task`, else a folder is an image data set and anything else a CSV. */
export async function detectTask(config: MmmlConfig): Promise<TaskRules> {
  if (config.data.task === "image") return TASKS.image;
  if (config.data.task === "tabular") return tableTask(config);
  if (!config.data.path) throw new MmmlError("usage", "missing --data FILE.csv or --data DIR/");
  let folder: boolean;
  try {
    folder = (await Deno.stat(config.data.path)).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `--data ${config.data.path}: no such file or folder`);
    }
    throw err;
  }
  if (!folder) return tableTask(config);
  const tables = await tablesWithoutImages(config.data.path);
  if (tables.length) {
    const shown = tables.slice(0, 3).join(", ") + (tables.length > 3 ? ", ..." : "");
    throw new MmmlError(
      "usage",
      `--data ${config.data.path} is a folder of data files (${shown}), not an image folder (class ` +
        `subfolders of PNG or JPEG files); train on one file: --data ${join(config.data.path, tables[0])}`,
    );
  }
  return TASKS.image;
}

/**
 * Table rows are classes or a regression: data.problem_type says, or (auto) the tabular rules infer it
 * from the label column when they read the data, and their PreparedData names the task.
 */
function tableTask(config: MmmlConfig): TaskRules {
  return config.data.problem_type === "regression" ? TASKS.regression : TASKS.tabular;
}

const TABLE_FILE = /\.(csv|tsv|txt|parquet|jsonl?)$/i;

/**
 * The data files of a folder that holds no image at all (looked for two levels down, a bounded number of
 * entries), else none: what tells a folder of CSVs from an image folder.
 */
async function tablesWithoutImages(dir: string): Promise<string[]> {
  const tables: string[] = [];
  let budget = 10_000;
  const walk = async (rel: string, depth: number): Promise<boolean> => {
    for await (const entry of Deno.readDir(join(dir, rel))) {
      if (--budget < 0) return true; // too big to look through: let the image scan speak
      const lower = entry.name.toLowerCase();
      if (entry.isFile && IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext))) return true;
      if (entry.isFile && TABLE_FILE.test(entry.name)) tables.push(join(rel, entry.name));
      if (entry.isDirectory && depth > 0 && !entry.name.startsWith(".")) {
        if (await walk(join(rel, entry.name), depth - 1)) return true;
      }
    }
    return false;
  };
  return await walk("", 2) ? [] : tables.sort();
}
