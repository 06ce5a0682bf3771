"""torchvision ResNet state dicts as MMMLW1 files (mmml's pretrained-weights format, see README):
weight names as mmml's ResNet layers name them, tensors in tfjs layout. Shared by torch_parity.py and
torch_draws.py."""
import json, struct


def mmml_name(key, ndim):
    """The mmml weight name of a torchvision ResNet state-dict key ("layer1.0.bn1.weight" -> ".../gamma")."""
    module, param = key.rsplit(".", 1)
    module = "head" if module == "fc" else module
    if ndim in (2, 4):
        return f"{module}/kernel"
    if module == "head":
        return f"{module}/bias"
    return f"{module}/" + {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean",
                           "running_var": "moving_variance"}[param]


def tfjs_layout(t):
    """A torch tensor in tfjs layout: conv [out, in, kh, kw] -> [kh, kw, in, out], linear transposed."""
    t = t.detach().float()
    return t.permute(2, 3, 1, 0) if t.ndim == 4 else t.t() if t.ndim == 2 else t


def state_tensors(model):
    """(mmml name, tensor) for every weight and running statistic of the model."""
    return [(mmml_name(k, v.ndim), v) for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")]


def write_mmmlw(path, tensors, num_classes=10, arch="resnet18"):
    """Writes (mmml name, torch tensor) pairs in tfjs layout as an MMMLW1 file."""
    entries, blobs, offset = [], [], 0
    for name, value in tensors:
        a = tfjs_layout(value).contiguous().numpy().astype("<f4")
        entries.append({"name": name, "shape": list(a.shape), "dtype": "float32", "offset": offset})
        blobs.append(a.tobytes())
        offset += a.nbytes
    header = json.dumps({"format": "MMMLW1", "arch": arch, "numClasses": num_classes,
                         "weights": entries}).encode()
    header += b" " * ((-(10 + len(header))) % 4)
    with open(path, "wb") as f:
        f.write(b"MMMLW1" + struct.pack("<I", len(header)) + header + b"".join(blobs))
