#!/usr/bin/env python3
"""The one-image Python equivalent of `glimpse caption IMAGE --model DIR`, for the cold-start
comparison (scripts/bench_cold_start): import torch, load the safetensors checkpoint into the
reference network, decode and resize the image with Pillow, caption greedily."""

import json, sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import glimpse_reference as ref

image_path, folder = sys.argv[1], sys.argv[2]
config = json.load(open(f"{folder}/config.json"))
words = {int(i): w for w, i in json.load(open(f"{folder}/vocab.json")).items()}
decoder = ref.DECODERS[config["decoder"]](config["vocabulary_size"])
model = ref.CaptionModel(decoder)
model.load_state_dict({k: v.float() for k, v in load_file(f"{folder}/model.safetensors").items()}, strict=True)
model.eval()
picture = Image.open(image_path).convert("RGB").resize((64, 64), Image.BILINEAR)
images = torch.from_numpy(np.asarray(picture, dtype=np.float32) / 255).permute(2, 0, 1)[None]
tokens = [1]
with torch.no_grad():
    for _ in range(15):
        logits = model(images, torch.tensor([tokens]))[0, -1]
        logits[0] = logits[1] = -float("inf")
        token = int(logits.argmax())
        if token == 2:
            break
        tokens.append(token)
print(" ".join(words[t] for t in tokens[1:]))
