"""What scripts/caption_localisation.py reads: its command line, the 8×8 grid cells an object
of scenes.json covers, and the figures it reports. `glimpse eval vqa` measures vqa-san's hops
by the same rule (GlimpseData's gridCells, GlimpseEvaluation's AttentionLocalisation)."""

import argparse, os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def arguments(model):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.path.join(ROOT, model))
    parser.add_argument("--data", default=os.path.join(ROOT, "datasets/sample"))
    parser.add_argument("--glimpse", default=os.path.join(ROOT, ".build/release/glimpse"))
    parser.add_argument("--limit", type=int, default=0, help="at most this many images (0: all)")
    return parser.parse_args()


def cells(obj):
    """Grid locations (row·8 + col) whose centres lie inside the object's square (centre ±
    radius in [0, 1] units), widened by half a cell."""
    reach = obj["radius"] + 1 / 16
    return {
        row * 8 + col
        for row in range(8)
        for col in range(8)
        if abs((col + 0.5) / 8 - obj["x"]) <= reach and abs((row + 0.5) / 8 - obj["y"]) <= reach
    }


def score(weights, target):
    """(hit, mass, area): the strongest cell is in `target`, the weight there, its share of 64."""
    best = max(range(64), key=lambda i: weights[i])
    return best in target, sum(weights[i] for i in target), len(target) / 64


def summary(rows):
    n = len(rows)
    shares = [100 * sum(r[k] for r in rows) / n for k in range(3)]
    return f"{n:>9} " + " ".join(f"{share:6.1f}%" for share in shares)
