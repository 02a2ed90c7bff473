#!/usr/bin/env python3
"""Checks glimpse's BLEU, ROUGE-L and CIDEr-D against pycocoevalcap's on the same results file.

Runs `glimpse eval caption --model MODEL --data DATA --out results.json --json`, then scores the
same results.json against DATA/captions.json with pycocoevalcap exactly as COCOEvalCap does
(PTBTokenizer, which needs java, then Bleu(4), Rouge, Cider), and prints both with the relative
difference. By hand only (pip install pycocoevalcap); exits 1 if any differ by more than 0.5%.

    scripts/check_caption_metrics.py --model models/caption-attention --data /tmp/test
"""

import argparse, json, os, subprocess, sys, tempfile

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="a folder with captions.json")
    parser.add_argument("--glimpse", default=".build/release/glimpse")
    parser.add_argument("--beam", default="1")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        results_path = os.path.join(folder, "results.json")
        output = subprocess.run(
            [
                args.glimpse,
                "eval",
                "caption",
                "--model",
                args.model,
                "--data",
                args.data,
                "--beam",
                args.beam,
                "--out",
                results_path,
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        ours = json.loads(output)
        results = json.load(open(results_path))

    coco = json.load(open(os.path.join(args.data, "captions.json")))
    references = {}
    for annotation in coco["annotations"]:
        references.setdefault(annotation["image_id"], []).append({"caption": annotation["caption"]})
    candidates = {r["image_id"]: [{"caption": r["caption"]}] for r in results}
    references = {k: references[k] for k in candidates}
    tokenizer = PTBTokenizer()
    references, candidates = tokenizer.tokenize(references), tokenizer.tokenize(candidates)

    theirs = {}
    bleu, _ = Bleu(4).compute_score(references, candidates)
    for n in range(4):
        theirs["bleu%d" % (n + 1)] = bleu[n]
    theirs["rouge_l"], _ = Rouge().compute_score(references, candidates)
    theirs["cider_d"], _ = Cider().compute_score(references, candidates)

    worst = 0.0
    print("%-8s %12s %14s %10s" % ("metric", "glimpse", "pycocoevalcap", "rel. diff"))
    for key in ["bleu1", "bleu2", "bleu3", "bleu4", "rouge_l", "cider_d"]:
        difference = abs(ours[key] - theirs[key]) / max(abs(theirs[key]), 1e-12)
        worst = max(worst, difference)
        print("%-8s %12.6f %14.6f %9.4f%%" % (key, ours[key], theirs[key], 100 * difference))
    print("images: %d; worst relative difference %.4f%%" % (len(results), 100 * worst))
    sys.exit(0 if worst <= 0.005 else 1)


if __name__ == "__main__":
    main()
