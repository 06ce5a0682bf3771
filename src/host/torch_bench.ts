/**
 * The same training steps in the host's own PyTorch (`python3`), for the ratio `mmml gpu-check` reports:
 * the architecture from torchvision where it is installed, else the ResNet defined in the script (the
 * same layers as torchvision's), on CUDA when torch sees a GPU, seeded random images, SGD 0.01, the loss
 * read back after every step as mmml's bench does. Prints one JSON line.
 */
import type { CommandRunner } from "./facts.ts";

export const TORCH_BENCH_PY = String.raw`
import json, sys, time
import torch, torch.nn as nn
arch, batch, size, steps, warmup, classes, budget = sys.argv[1], *map(int, sys.argv[2:7]), float(sys.argv[7])

class Basic(nn.Module):
    expansion = 1
    def __init__(s, i, o, stride):
        super().__init__()
        s.c1 = nn.Conv2d(i, o, 3, stride, 1, bias=False); s.b1 = nn.BatchNorm2d(o)
        s.c2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); s.b2 = nn.BatchNorm2d(o)
        s.down = None if stride == 1 and i == o else nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
    def forward(s, x):
        y = s.b2(s.c2(torch.relu(s.b1(s.c1(x)))))
        return torch.relu(y + (x if s.down is None else s.down(x)))

class Bottleneck(nn.Module):
    expansion = 4
    def __init__(s, i, o, stride):
        super().__init__()
        s.c1 = nn.Conv2d(i, o, 1, bias=False); s.b1 = nn.BatchNorm2d(o)
        s.c2 = nn.Conv2d(o, o, 3, stride, 1, bias=False); s.b2 = nn.BatchNorm2d(o)
        s.c3 = nn.Conv2d(o, o * 4, 1, bias=False); s.b3 = nn.BatchNorm2d(o * 4)
        s.down = None if stride == 1 and i == o * 4 else nn.Sequential(nn.Conv2d(i, o * 4, 1, stride, bias=False), nn.BatchNorm2d(o * 4))
    def forward(s, x):
        y = torch.relu(s.b1(s.c1(x))); y = torch.relu(s.b2(s.c2(y))); y = s.b3(s.c3(y))
        return torch.relu(y + (x if s.down is None else s.down(x)))

def resnet(block, layers, k):
    mods, i = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)], 64
    for n, (o, count) in enumerate(zip((64, 128, 256, 512), layers)):
        for j in range(count):
            mods.append(block(i, o, 2 if j == 0 and n > 0 else 1)); i = o * block.expansion
    return nn.Sequential(*mods, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(i, k))

LAYOUTS = {"resnet18": (Basic, [2, 2, 2, 2]), "resnet34": (Basic, [3, 4, 6, 3]), "resnet50": (Bottleneck, [3, 4, 6, 3])}
try:
    import torchvision
    model, source = getattr(torchvision.models, arch)(weights=None, num_classes=classes), "torchvision"
except Exception:
    if arch not in LAYOUTS: raise SystemExit(json.dumps({"error": f"{arch} needs torchvision, which is not installed"}))
    model, source = resnet(*LAYOUTS[arch], classes), "built-in"
device = "cuda" if torch.cuda.is_available() else "cpu"
model = model.to(device).train()
g = torch.Generator().manual_seed(7)
x = (torch.rand(batch, 3, size, size, generator=g) - 0.5).to(device)
y = (torch.arange(batch) % classes).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
def step():
    opt.zero_grad(set_to_none=True); loss = loss_fn(model(x), y); loss.backward(); opt.step(); return loss.item()
t0 = time.perf_counter()
for _ in range(warmup): step()
warm = time.perf_counter() - t0
times, start = [], time.perf_counter()
for _ in range(steps):
    t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    if budget and time.perf_counter() - start > budget: break
times.sort()
print(json.dumps({"torch": torch.__version__, "device": device,
    "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None, "model": arch, "source": source,
    "batch": batch, "size": size, "steps": len(times), "images_per_s": round(batch * len(times) / sum(times), 2),
    "step_ms": round(1000 * times[len(times) // 2], 1), "warmup_s": round(warm, 2)}))
`;

export interface TorchBenchOptions {
  arch: string;
  batch: number;
  size: number;
  steps: number;
  warmup: number;
  classes: number;
  budgetSeconds: number;
}

/** Runs the script with `python`; an object with `error` where it or torch is missing or fails. */
export async function benchTorch(
  run: CommandRunner,
  o: TorchBenchOptions,
  python = "python3",
): Promise<Record<string, unknown>> {
  const args = [o.arch, o.batch, o.size, o.steps, o.warmup, o.classes, o.budgetSeconds].map(String);
  let out;
  try {
    out = await run(python, ["-c", TORCH_BENCH_PY, ...args]);
  } catch (err) {
    return { error: `${python} did not finish: ${(err as Error).message}` };
  }
  if (out === null) return { error: `${python} not found` };
  const last = out.stdout.trim().split("\n").at(-1) ?? "";
  try {
    const parsed = JSON.parse(last);
    if (out.code === 0 || parsed.error) return parsed;
  } catch { /* fall through to the error text */ }
  const said = (out.stderr.trim().split("\n").at(-1) ?? "") || last;
  return { error: `${python} exited with ${out.code}: ${said}` };
}
