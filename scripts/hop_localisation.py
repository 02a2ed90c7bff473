#!/usr/bin/env python3
"""Does vqa-san's attention land on the object a question asks about? For every question of a
generated split that names one object (color, shape, size and position questions), runs
`glimpse ask --json` and reads each hop's 64 weights over the 8×8 grid. An object covers the
cells whose centres lie inside its square (centre ± radius, in scenes.json's [0, 1] units,
widened by half a cell). Reports per hop and question type:
  hit    how often the hop's strongest cell is one of the object's cells;
  mass   the hop's weight on the object's cells;
  area   the object's share of the 64 cells: what uniform attention would put there.

    scripts/hop_localisation.py [--model models/vqa-san] [--data datasets/sample]
No third-party packages; needs a built glimpse (.build/release/glimpse).
"""
import collections, json, os, subprocess, tempfile

from grid_localisation import arguments, cells, score, summary

args = arguments("models/vqa-san")

scenes = {s["image_id"]: s for s in json.load(open(os.path.join(args.data, "scenes.json")))["scenes"]}
questions = json.load(open(os.path.join(args.data, "questions.json")))["questions"]
types = {a["question_id"]: a["question_type"] for a in json.load(open(os.path.join(args.data, "annotations.json")))["annotations"]}
COLORS = {"red", "green", "blue", "yellow", "orange", "purple"}
SHAPES = {"circle", "square", "triangle", "cross"}
SIZES = {"small", "large"}


def referent(question, scene):
    """The one object the question's noun phrase names, or None."""
    words = set(question.rstrip("?").split())
    wanted = [(key, words & values) for key, values in (("color", COLORS), ("shape", SHAPES), ("size", SIZES))]
    matches = [o for o in scene["objects"] if all(not found or o[key] in found for key, found in wanted)]
    return matches[0] if len(matches) == 1 else None


by_image = collections.defaultdict(list)
for q in questions:
    if types[q["question_id"]] in ("color", "shape", "size", "position"):
        by_image[q["image_id"]].append(q)

stats = collections.defaultdict(lambda: collections.defaultdict(list))  # type → hop → [(hit, mass, area)]
with tempfile.TemporaryDirectory() as folder:
    for image_id, asked in sorted(by_image.items())[:args.limit or None]:
        scene = scenes[image_id]
        pairs = [(q, referent(q["question"], scene)) for q in asked]
        pairs = [(q, o) for q, o in pairs if o is not None]
        if not pairs:
            continue
        path = os.path.join(folder, "questions.txt")
        with open(path, "w") as f:
            f.write("".join(q["question"] + "\n" for q, _ in pairs))
        out = subprocess.run([args.glimpse, "ask", os.path.join(args.data, scene["file_name"]), "--questions", path,
                              "--model", args.model, "--json"], check=True, capture_output=True, text=True).stdout
        for (q, obj), line in zip(pairs, out.splitlines()):
            hops = json.loads(line)["hops"]
            for k, weights in enumerate(hops):
                stats[types[q["question_id"]]][k].append(score(weights, cells(obj)))

print(f"{'type':10} {'hop':>3} {'questions':>9} {'hit':>7} {'mass':>7} {'area':>7}")
for kind in ("color", "shape", "size", "position"):
    for k, rows in sorted(stats[kind].items()):
        print(f"{kind:10} {k + 1:>3} {summary(rows)}")
