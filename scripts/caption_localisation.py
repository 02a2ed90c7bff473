#!/usr/bin/env python3
"""Does the attention captioner look at the object a word names? Runs `glimpse attend --json` on
every image of a generated split and, for each colour or shape word of the caption, checks the
word's attention over the 8×8 grid against the objects of scenes.json that have that colour or
shape. An object covers the cells whose centres lie inside its square (centre ± radius, in [0, 1]
units, widened by half a cell). Reports per kind of word:
  hit    how often the word's strongest cell lies on an object the word names;
  mass   the word's attention weight on those objects' cells;
  area   those cells' share of the 64: what uniform attention would put there.

    scripts/caption_localisation.py [--model models/caption-attention] [--data datasets/sample]
No third-party packages; needs a built glimpse (.build/release/glimpse).
"""

import collections, json, os, subprocess, tempfile

from grid_localisation import arguments, cells, score, summary

args = arguments("models/caption-attention")

scenes = json.load(open(os.path.join(args.data, "scenes.json")))["scenes"]
if args.limit:
    scenes = scenes[: args.limit]
KINDS = {
    "color": {"red", "green", "blue", "yellow", "orange", "purple"},
    "shape": {"circle", "square", "triangle", "cross"},
}


stats = collections.defaultdict(list)  # kind → [(hit, mass, area)]
with tempfile.TemporaryDirectory() as folder:
    for scene in scenes:
        out = subprocess.run(
            [
                args.glimpse,
                "attend",
                os.path.join(args.data, scene["file_name"]),
                "--out",
                folder,
                "--model",
                args.model,
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        attended = json.loads(out)
        for word, weights in zip(attended["words"], attended["maps"]):
            for kind, values in KINDS.items():
                if word not in values:
                    continue
                named = set().union(*[cells(o) for o in scene["objects"] if o[kind] == word] or [set()])
                if not named:
                    continue  # the caption names something that is not there
                stats[kind].append(score(weights, named))

print(f"{'word':6} {'words':>9} {'hit':>7} {'mass':>7} {'area':>7}")
for kind, rows in stats.items():
    print(f"{kind:6} {summary(rows)}")
