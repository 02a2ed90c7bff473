#!/usr/bin/env python3
"""The photo configuration's checkpoint in PyTorch: generates 16 scenes at 224x224, captions them
with words from a vocabulary of 10,000 (V of glimpse-photo.md: 9,996 words and the 4 special
tokens), trains EfficientNet-Lite0 + the attention decoder for a few steps with glimpse, then runs
scripts/check_shipped_models.py on the folder: PyTorch must load it strictly and give the same
log-probabilities within 1e-4. By hand (pip install torch safetensors numpy pillow
efficientnet-lite-pytorch==0.1.0); build glimpse first.

    scripts/check_photo_checkpoint.py [--work /tmp/glimpse-photo-check]
"""

import argparse, json, os, random, shutil, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
glimpse = os.path.join(root, ".build/release/glimpse")
parser = argparse.ArgumentParser()
parser.add_argument("--work", default="/tmp/glimpse-photo-check")
args = parser.parse_args()
shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)
data = os.path.join(args.work, "scenes")
subprocess.run(
    [glimpse, "data", "generate", "--out", data, "--split", "train", "--count", "16", "--size", "224", "--seed", "5"],
    check=True,
)
images = sorted(os.listdir(os.path.join(data, "images")))
words = [f"w{k}" for k in range(9996)]
random.Random(1).shuffle(words)
lines, per_caption = [], len(words) // (len(images) * 5) + 1
for i, image in enumerate(images):
    for c in range(5):
        start = (i * 5 + c) * per_caption
        lines.append(f"scenes/images/{image}\t" + " ".join(words[start : start + per_caption]))
tsv = os.path.join(args.work, "captions.tsv")
open(tsv, "w").write("\n".join(lines) + "\n")
run = os.path.join(args.work, "run")
subprocess.run(
    [
        glimpse,
        "train",
        "caption",
        "--encoder",
        "efficientnet-lite0",
        "--encoder-folder",
        os.path.join(root, "models/efficientnet-lite0"),
        "--data",
        tsv,
        "--decoder",
        "attention",
        "--epochs",
        "1",
        "--batch",
        "8",
        "--out",
        run,
        "--plain-progress",
    ],
    check=True,
)
vocabulary = json.load(open(os.path.join(run, "vocab.json")))
print(f"{run}: vocabulary of {len(vocabulary)} words")
if len(vocabulary) != 10000:
    sys.exit(f"expected V = 10,000, got {len(vocabulary)}")
checked = [os.path.join(data, "images", image) for image in images[:3]]
subprocess.run(
    [sys.executable, os.path.join(root, "scripts/check_shipped_models.py"), run, "--images"] + checked,
    check=True,
    cwd=root,
)
