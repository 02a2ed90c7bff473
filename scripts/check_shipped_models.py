#!/usr/bin/env python3
"""Runs trained glimpse model folders (caption or VQA, of any size) in the PyTorch version of
the spec (scripts/glimpse_reference.py, built from the folder's config.json, load_state_dict
strict=True, float64) and compares with what the glimpse binary itself says on the same images
(run by hand; needs torch, safetensors, numpy and Pillow). The images must already be of the
model's image_size (as `glimpse data generate --size N` writes them), so that both sides read
the same pixels; by default the sample's 64x64 scenes:

  caption: `glimpse caption --json` gives each greedy word's log-probability and <end>'s;
           PyTorch, fed the same tokens, must give the same log-probabilities.
  vqa:     `glimpse ask --json --top A` gives every answer's probability; PyTorch's
           log-softmax of its logits must give the same log-probabilities (which fix the
           logits up to their common shift).

    scripts/check_shipped_models.py models/caption-attention models/vqa-san
    scripts/check_shipped_models.py runs/cap96 --images data96/images/train_000001.png data96/images/train_000002.png
"""

import argparse, json, math, re, subprocess, sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import glimpse_reference as ref

GLIMPSE = ".build/release/glimpse"
IMAGES = ["datasets/sample/images/test_%06d.png" % k for k in (1, 2, 3, 4, 5)]
QUESTIONS = "datasets/sample/questions.json"


def image_tensor(path):
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255
    return torch.from_numpy(pixels).permute(2, 0, 1)[None]


def words_to_ids(folder):
    return {word: int(index) for word, index in json.load(open(f"{folder}/vocab.json")).items()}


def image_tensor_of_size(path, size):
    tensor = image_tensor(path)
    if tensor.shape[-1] != size or tensor.shape[-2] != size:
        sys.exit(f"{path}: is {tensor.shape[-1]}x{tensor.shape[-2]}, not the model's {size}x{size}")
    return tensor


def check_caption(folder, model, config, images):
    ids = words_to_ids(folder)
    worst = 0.0
    for path in images:
        out = json.loads(
            subprocess.run(
                [GLIMPSE, "caption", "--json", "--model", folder, path], check=True, capture_output=True, text=True
            ).stdout
        )
        tokens = [ids[t["word"]] for t in out["tokens"]]
        ours = [t["log_prob"] for t in out["tokens"]] + ([out["end_log_prob"]] if out["finished"] else [])
        inputs = torch.tensor([[1] + tokens])
        with torch.no_grad():
            logprobs = torch.log_softmax(model(image_tensor_of_size(path, config.get("image_size", 64)), inputs)[0], -1)
        targets = tokens + [2]
        theirs = [logprobs[t, targets[t]].item() for t in range(len(ours))]
        worst = max(worst, max(abs(a - b) for a, b in zip(ours, theirs)))
        print(f"  {path}: '{out['caption']}'")
    return worst


def check_vqa(folder, model, config, images):
    ids = words_to_ids(folder)
    answers = {int(i): a for a, i in json.load(open(f"{folder}/answers.json")).items()}
    questions = json.load(open(QUESTIONS))["questions"]
    worst = 0.0
    for path in images:
        image_id = int(re.search(r"(\d+)\.png", path).group(1))
        for question in [q["question"] for q in questions if q["image_id"] == image_id][:3]:
            out = json.loads(
                subprocess.run(
                    [GLIMPSE, "ask", path, question, "--json", "--top", str(config["answers"]), "--model", folder],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            words = re.findall(r"[^\W_]+", question.lower())
            tokens = torch.tensor([[ids.get(w, 3) for w in words]])
            with torch.no_grad():
                logprobs = torch.log_softmax(
                    model(image_tensor_of_size(path, config.get("image_size", 64)), tokens)[0], -1
                )
            index = {a: i for i, a in answers.items()}
            for entry in out["top"]:
                if entry["p"] > 1e-6:
                    worst = max(worst, abs(math.log(entry["p"]) - logprobs[index[entry["answer"]]].item()))
            print(f"  {path}: {question} -> {out['answer']} (PyTorch: {answers[int(logprobs.argmax())]})")
    return worst


parser = argparse.ArgumentParser(description="Compare glimpse model folders with the PyTorch reference.")
parser.add_argument("folders", nargs="+")
parser.add_argument("--images", nargs="+", default=IMAGES, help="images of the model's size (default: the sample's)")
args = parser.parse_args()
failures = 0
for folder in args.folders:
    model, config = ref.build_from_folder(folder)  # strict: every tensor, by the spec's names
    print(f"{folder}: loaded strictly ({config['model']}, image_size {config.get('image_size', 64)})")
    check = check_caption if config["model"] == "caption" else check_vqa
    worst = check(folder, model, config, args.images)
    ok = worst <= 1e-4
    failures += not ok
    print(f"{folder}: worst log-probability difference {worst:.2e} ({'ok' if ok else 'FAIL'}, limit 1e-4)")
sys.exit(1 if failures else 0)
