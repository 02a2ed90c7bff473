#!/usr/bin/env python3
"""Writes Tests/GlimpseEvaluationTests/Fixtures/coco_metrics.json: a few candidate captions with
their references, and pycocoevalcap's BLEU-1..4, ROUGE-L and CIDEr-D of them (already tokenised,
so no java is needed). By hand only: pip install pycocoevalcap."""

import json, os

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge

images = [
    (
        "a large red circle left of a small blue square",
        [
            "a large red circle to the left of a small blue square",
            "there is a big red circle left of a little blue square",
            "two shapes a large red circle and a small blue square",
            "a small blue square right of a large red circle",
            "a picture of a big red circle and a small blue square",
        ],
    ),
    (
        "a small green triangle",
        [
            "a small green triangle",
            "one little green triangle",
            "there is a small green triangle on a plain background",
            "a picture of a small green triangle",
            "a little green triangle",
        ],
    ),
    (
        "a dog runs on the grass",
        [
            "a brown dog running across the grass",
            "a dog runs through a grassy field",
            "the dog is running on green grass",
        ],
    ),
    (
        "two men ride bikes down a street street",
        [
            "two men riding bicycles down a city street",
            "a pair of cyclists on a road",
            "men ride their bikes on the street",
            "two people cycling down the street together",
        ],
    ),
    ("a cat", ["a cat sitting on a windowsill", "a small cat looks out of the window", "a grey cat by a window"]),
]
candidates = {i: [c] for i, (c, _) in enumerate(images)}
references = {i: refs for i, (_, refs) in enumerate(images)}
bleu, _ = Bleu(4).compute_score(references, candidates)
rouge, _ = Rouge().compute_score(references, candidates)
cider, _ = Cider().compute_score(references, candidates)
fixture = {
    "images": [{"candidate": c, "references": r} for c, r in images],
    "bleu": bleu,
    "rouge_l": rouge,
    "cider_d": cider,
}
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "GlimpseEvaluationTests", "Fixtures", "coco_metrics.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
print(fixture["bleu"], fixture["rouge_l"], fixture["cider_d"])
