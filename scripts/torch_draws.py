#!/usr/bin/python3
"""Writes the random draws that ../shared/reference/train_vision.py makes for a seed, so that mmml can train
on the same draws (bench/vision_paired.ts): the initial weights of torchvision's ResNet-18 as MMMLW1
(init.mmmlw) and the order in which its DataLoader visits the training images, per epoch (order.json:
lists of paths relative to TRAIN_DIR).

It replays the reference's use of torch's global generator: manual_seed(SEED), build_model (the init),
then per epoch one iteration of a shuffling DataLoader (its base seed, then the RandomSampler's seed).
Datasets, transforms, the loss and Adam draw nothing, so the draws are the reference's own; check with
--check, which trains on them with the reference's loop: its losses and test accuracy must equal what
train_vision.py --seed SEED prints, bit for bit. With --threads 1 the same check is a control: torch
against itself on the same draws, differing only in the order of float sums, shows how far rounding
alone moves the result.

  /usr/bin/python3 scripts/torch_draws.py SEED TRAIN_DIR OUT_DIR [--epochs 3] [--check TEST_DIR]
                                        [--reference ../shared/reference]
"""
import argparse, json, os, sys

ap = argparse.ArgumentParser()
ap.add_argument("seed", type=int)
ap.add_argument("train_dir")
ap.add_argument("out_dir")
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--img", type=int, default=28)
ap.add_argument("--check", metavar="TEST_DIR")
ap.add_argument("--reference", default="../shared/reference", help="folder of train_vision.py")
ap.add_argument("--threads", type=int, default=2, help="torch threads for --check (the reference uses 2)")
a = ap.parse_args()
sys.path.insert(0, a.reference)
import torch
import torch.nn as nn
from torchvision import datasets
from train_vision import build_model, make_transform
from mmmlw import state_tensors, write_mmmlw

torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
train_ds = datasets.ImageFolder(a.train_dir, transform=make_transform(a.img))
model = build_model("resnet18", len(train_ds.classes))
loader = torch.utils.data.DataLoader(range(len(train_ds)), batch_size=32, shuffle=True)
order = [[i for batch in loader for i in batch.tolist()] for _ in range(a.epochs)]

# The model is untouched until --check trains it, so its state is still the initial one.
os.makedirs(a.out_dir, exist_ok=True)
write_mmmlw(os.path.join(a.out_dir, "init.mmmlw"), state_tensors(model), num_classes=len(train_ds.classes))
paths = [os.path.relpath(p, a.train_dir) for p, _ in train_ds.samples]
with open(os.path.join(a.out_dir, "order.json"), "w") as f:
    json.dump([[paths[i] for i in epoch] for epoch in order], f)
print(f"wrote {a.out_dir}/init.mmmlw and order.json ({a.epochs} epochs of {len(paths)})", file=sys.stderr)

if a.check:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    losses = []
    for epoch in order:
        tot = 0.0
        for xb, yb in torch.utils.data.DataLoader(train_ds, batch_size=32, sampler=epoch):
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            tot += loss.item() * len(yb)
        losses.append(round(tot / len(epoch), 5))
    model.eval()
    test_ds = datasets.ImageFolder(a.check, transform=make_transform(a.img))
    correct = 0
    with torch.no_grad():
        for xb, yb in torch.utils.data.DataLoader(test_ds, batch_size=128):
            correct += (model(xb).argmax(1) == yb).sum().item()
    print(json.dumps({"seed": a.seed, "epoch_train_loss": losses,
                      "test_accuracy": round(correct / len(test_ds), 4)}))
