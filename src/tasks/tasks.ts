/**
 * The table of tasks: what differs between CSV and image-folder training lives in one TaskRules each,
 * and everything else asks this table (`taskRules(meta.task)`), never the task's name.
 */
import type { MmmlConfig, Task } from "../config/schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { IMAGE_TASK } from "./image.ts";
import { TABULAR_TASK } from "./tabular.ts";
import type { TaskRules } from "./task_rules.ts";

/** Every task's rules, by name; a task the config schema names must be here. */
export const TASKS = Object.freeze(
  { tabular: TABULAR_TASK, image: IMAGE_TASK } as const satisfies Record<Task, TaskRules>,
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
  if (config.data.task !== "auto") return TASKS[config.data.task];
  if (!config.data.path) throw new MmmlError("usage", "missing --data FILE.csv or --data DIR/");
  try {
    return (await Deno.stat(config.data.path)).isDirectory ? TASKS.image : TASKS.tabular;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `--data ${config.data.path}: no such file or folder`);
    }
    throw err;
  }
}
