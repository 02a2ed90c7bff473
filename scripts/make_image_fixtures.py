#!/usr/bin/env python3
"""Makes the resize fixtures: each photo in ../shared/images, composited onto white as RGB and
resized to 64x64 by Pillow's antialiased bilinear (Image.BILINEAR, which widens the filter when
shrinking) into resize64/ and by its bicubic (Image.BICUBIC) into resize64-bicubic/, saved as raw
RGB bytes. Run by hand (needs Pillow); CI only reads the results."""

import pathlib
import sys

from PIL import Image

root = pathlib.Path(__file__).resolve().parent.parent
images = root.parent / "shared" / "images"
out = root / "Tests" / "GlimpseImageTests" / "Fixtures" / "resize64"
bicubic = root / "Tests" / "GlimpseImageTests" / "Fixtures" / "resize64-bicubic"
out.mkdir(parents=True, exist_ok=True)
bicubic.mkdir(parents=True, exist_ok=True)
for path in sorted(images.iterdir()):
    image = Image.open(path)
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    rgb = image.convert("RGB").resize((64, 64), Image.BILINEAR)
    (out / (path.stem + ".rgb")).write_bytes(rgb.tobytes())
    (bicubic / (path.stem + ".rgb")).write_bytes(image.convert("RGB").resize((64, 64), Image.BICUBIC).tobytes())
    print(f"{path.name}: {image.size} -> 64x64", file=sys.stderr)
