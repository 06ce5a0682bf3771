#!/usr/bin/python3
"""Writes what scripts/torch_parity.ts compares mmml against: torchvision's ResNet-18 (10 classes, seed 0)
as MMMLW1 initial weights, STEPS fixed batches of 32 Fashion-MNIST training images (NHWC float32, the
reference's preprocessing), torch's gradients and batch norm running statistics after the first batch, and
torch's losses over STEPS Adam steps (lr 1e-3) on those batches. Then the trained state after those steps
(state.mmmlw: weights and running statistics; adam_m.mmmlw, adam_v.mmmlw: Adam's moments) and one more
step from it on batch STEPS + 1: its gradients (grads.mmmlw), and the weights and statistics after it
(after.mmmlw), so that mmml can be checked on a state that is not the initial one.

  /usr/bin/python3 scripts/torch_parity.py TRAIN_DIR OUT_DIR [STEPS]
"""
import json, os, sys
sys.path.insert(0, "../shared/reference")
import numpy as np, torch, torch.nn as nn
from train_vision import build_model, make_transform
from torchvision import datasets
from mmmlw import mmml_name, state_tensors, tfjs_layout, write_mmmlw

train_dir, out = sys.argv[1], sys.argv[2]
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 30
os.makedirs(out, exist_ok=True)
torch.set_num_threads(2)
torch.manual_seed(0)
model = build_model("resnet18", 10)
ds = datasets.ImageFolder(train_dir, transform=make_transform(28))
order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(1))[: (steps + 1) * 32].tolist()
X = torch.stack([ds[i][0] for i in order])
Y = torch.tensor([ds[i][1] for i in order])
X.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(f"{out}/x.bin")
Y.numpy().astype("<i4").tofile(f"{out}/y.bin")


write_mmmlw(f"{out}/init.mmmlw", state_tensors(model))

opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
model.train()
losses, first = [], {}
for s in range(steps):
    opt.zero_grad()
    loss = loss_fn(model(X[s * 32:(s + 1) * 32]), Y[s * 32:(s + 1) * 32])
    loss.backward()
    if s == 0:
        first["loss"] = loss.item()
        first["grads"] = {mmml_name(k, p.ndim): tfjs_layout(p.grad).contiguous().numpy().ravel().tolist()
                          for k, p in model.named_parameters()}
        first["stats"] = {mmml_name(k, 1): v.numpy().ravel().tolist()
                          for k, v in model.state_dict().items() if "running" in k}
    opt.step()
    losses.append(loss.item())

write_mmmlw(f"{out}/state.mmmlw", state_tensors(model))
for slot in ("exp_avg", "exp_avg_sq"):
    write_mmmlw(f"{out}/adam_{'m' if slot == 'exp_avg' else 'v'}.mmmlw",
                [(mmml_name(k, p.ndim), opt.state[p][slot]) for k, p in model.named_parameters()])
opt.zero_grad()
loss = loss_fn(model(X[steps * 32:]), Y[steps * 32:])
loss.backward()
write_mmmlw(f"{out}/grads.mmmlw", [(mmml_name(k, p.ndim), p.grad) for k, p in model.named_parameters()])
opt.step()
write_mmmlw(f"{out}/after.mmmlw", state_tensors(model))
later = {"step": steps + 1, "loss": loss.item()}
json.dump({"steps": steps, "first": first, "losses": losses, "later": later}, open(f"{out}/torch.json", "w"))
print(f"wrote {out}/init.mmmlw, x.bin, y.bin, torch.json", file=sys.stderr)
