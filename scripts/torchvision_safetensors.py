#!/usr/bin/python3
"""Writes what src/models/torchvision_parity_test.ts compares mmml against: torchvision's own ARCH with
random weights (seed 0, NUM_CLASSES classes) and random batch norm statistics, saved as a safetensors
state dict (written here by hand: the format is an 8-byte header length, a JSON header and the raw data,
so the safetensors package is not needed), an input batch (NHWC float32) and torchvision's class
probabilities for it in eval mode.

  /usr/bin/python3 scripts/torchvision_safetensors.py ARCH SIZE NUM_CLASSES OUT_DIR
"""
import json, os, struct, sys
import torch, torchvision

arch, size, classes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = getattr(torchvision.models, arch)(weights=None, num_classes=classes)
# Fresh batch norms have mean 0 and variance 1, which would hide a swapped statistic, and random weights
# through 50 layers saturate the softmax. So: affine weights moved off 1 and 0, and running statistics
# measured on random images (cumulative averages), which keeps activations normalised and every
# probability away from 0 and 1, so a mistake anywhere shows.
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.6, 1.0)
            m.bias.uniform_(-0.1, 0.1)
            m.reset_running_stats()
            m.momentum = None
    model.train()
    for i in range(4):
        model(torch.randn(8, 3, size, size, generator=torch.Generator().manual_seed(100 + i)))
    # The head's scale decides how peaked the probabilities are: keep them readable.
    head = model.fc if hasattr(model, "fc") else model.classifier[1]
    head.weight.mul_(0.5)
model.eval()

header, blobs, offset = {"__metadata__": {"arch": arch, "source": "torchvision " + torchvision.__version__}}, [], 0
for key, value in model.state_dict().items():
    t = value.detach().contiguous()
    dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
    data = t.numpy().astype("<f4" if dtype == "F32" else "<i8").tobytes()
    header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open(f"{out}/weights.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for b in blobs:
        f.write(b)

x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
with torch.no_grad():
    probs = torch.softmax(model(x), dim=1)
x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(f"{out}/x.bin")
probs.numpy().astype("<f4").tofile(f"{out}/probs.bin")
