#!/usr/bin/env python3
"""Copies a trained model folder into models/ for shipping: the weights converted to F16 (the
tensor names, shapes and metadata unchanged), config.json, vocab.json and answers.json as they
are. By hand only (pip install safetensors numpy):

    scripts/ship_model.py runs/caption-attention models/caption-attention
"""

import json, os, shutil, sys

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

source, target = sys.argv[1], sys.argv[2]
os.makedirs(target, exist_ok=True)
with safe_open(os.path.join(source, "model.safetensors"), "np") as f:
    metadata = f.metadata() or {}
tensors = {
    name: value.astype(np.float16) for name, value in load_file(os.path.join(source, "model.safetensors")).items()
}
temporary = os.path.join(target, ".model.safetensors.tmp")
save_file(tensors, temporary, metadata=metadata)
os.replace(temporary, os.path.join(target, "model.safetensors"))
for name in ["config.json", "vocab.json", "answers.json"]:
    if os.path.exists(os.path.join(source, name)):
        shutil.copyfile(os.path.join(source, name), os.path.join(target, name))
size = os.path.getsize(os.path.join(target, "model.safetensors"))
print(f"{target}: {len(tensors)} tensors as F16, {size / 2**20:.1f} MiB")
