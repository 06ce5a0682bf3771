#!/usr/bin/python3
"""The PyTorch reference's vision training (../shared/reference/train_vision.py: its model, transform,
loader, Adam and loss, imported, not copied) with one change: the learning rate follows a schedule per
step, as mmml's training.lr_schedule does. It answers whether the gain mmml's default image schedule
(cosine) shows over the reference's constant rate is the schedule's, by giving torch the same schedule.

  /usr/bin/python3 scripts/torch_schedule.py TRAIN_DIR TEST_DIR --seed S [--schedule cosine|constant]
                                             [--epochs 3] [--threads 2] [--reference ../shared/reference]

With --schedule constant it trains exactly as train_vision.py --seed S does (same draws, same result).
Prints one JSON line: seed, schedule, epoch_train_loss, test_accuracy, train_images_per_sec.
"""
import argparse, json, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("train_dir")
ap.add_argument("test_dir")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--schedule", choices=["cosine", "constant"], default="cosine")
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--img", type=int, default=28)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reference", default="../shared/reference", help="folder of train_vision.py")
a = ap.parse_args()
sys.path.insert(0, a.reference)
import torch
import torch.nn as nn
from torchvision import datasets
from train_vision import build_model, make_transform

# The reference's order of draws: manual_seed, datasets, loaders, model, then the loader's shuffles.
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
tf = make_transform(a.img)
train_ds = datasets.ImageFolder(a.train_dir, transform=tf)
test_ds = datasets.ImageFolder(a.test_dir, transform=tf)
train_dl = torch.utils.data.DataLoader(train_ds, batch_size=32, shuffle=True)
test_dl = torch.utils.data.DataLoader(test_ds, batch_size=128, shuffle=False)
model = build_model("resnet18", len(train_ds.classes))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
steps = a.epochs * len(train_dl)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if a.schedule == "cosine" else None
loss_fn = nn.CrossEntropyLoss()

model.train()
losses, t0 = [], time.perf_counter()
for _ in range(a.epochs):
    tot, seen = 0.0, 0
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        if sched:
            sched.step()
        tot += loss.item() * len(yb)
        seen += len(yb)
    losses.append(round(tot / seen, 5))
seconds = time.perf_counter() - t0
model.eval()
correct = n = 0
with torch.no_grad():
    for xb, yb in test_dl:
        correct += (model(xb).argmax(1) == yb).sum().item()
        n += len(yb)
print(json.dumps({
    "seed": a.seed,
    "schedule": a.schedule,
    "epoch_train_loss": losses,
    "test_accuracy": round(correct / n, 4),
    "train_images_per_sec": round(a.epochs * len(train_ds) / seconds, 2),
}))
