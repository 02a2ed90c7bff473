#!/usr/bin/env python3
"""Why an attention captioner's maps are flat: loads a glimpse attention checkpoint into the
PyTorch reference (scripts/glimpse_reference.py) and prints, over the first 16 sample images,
the grid features' scale, how much of W_enc·a_i lies where tanh is saturated (|x| > 2), and how
far the first step's attention is from uniform. By hand only (needs torch, Pillow).

    python3 scripts/attention_stats.py models/caption-attention
"""

import os, sys
import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "scripts"))
import glimpse_reference as R

folder = sys.argv[1]
weights = {k: v.float() for k, v in load_file(os.path.join(folder, "model.safetensors")).items()}
encoder = R.Encoder()
encoder.load_state_dict({k[len("encoder.") :]: v for k, v in weights.items() if k.startswith("encoder.")})
images = []
for i in range(1, 17):
    image = Image.open(os.path.join(root, f"datasets/sample/images/test_{i:06d}.png")).convert("RGB")
    images.append(torch.tensor(np.asarray(image), dtype=torch.float32).permute(2, 0, 1) / 255)
with torch.no_grad():
    grid, mean = encoder(torch.stack(images))
    keys = grid @ weights["decoder.att_enc.weight"].T + weights["decoder.att_enc.bias"]
    h = torch.tanh(mean @ weights["decoder.init_h.weight"].T + weights["decoder.init_h.bias"])
    scores = (
        torch.tanh(keys + (h @ weights["decoder.att_dec.weight"].T)[:, None, :]) @ weights["decoder.att_w.weight"].T
    )
    alpha = torch.softmax(scores.squeeze(-1), 1)
print(f"grid features: mean {grid.mean():.2f}, std {grid.std():.2f}, max {grid.max():.1f}")
print(
    f"W_enc·a_i + b_a: std {keys.std():.2f}; share with |x| > 2 (tanh saturated) {(keys.abs() > 2).float().mean():.2f}"
)
print(f"first step's attention: largest weight {alpha.max(1).values.mean():.3f} on average (uniform: {1 / 64:.3f})")
print(f"|w_a| = {weights['decoder.att_w.weight'].norm():.2f}")
