#!/usr/bin/env python3
"""The figures of `glimpse bench` for the same networks written plainly in PyTorch
(scripts/glimpse_reference.py: nn.Conv2d, nn.LSTMCell loops as typical captioning code), eager,
with torch.set_num_threads equal to glimpse's thread count; with --compile, also through
torch.compile where it works. Synthetic inputs as glimpse's: V = 64 words, 32 answers,
16-token captions, 8-word questions, batch 32. By hand only (pip install torch).

    python3 scripts/bench_pytorch.py --json [--compile] [--threads 2] [--only small|photo]

The photo configuration's encoder also runs through ONNX Runtime (figures named `….onnxruntime`;
pip install efficientnet-lite-pytorch==0.1.0 onnxruntime onnx).
"""

import argparse, json, resource, statistics, sys, time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import glimpse_reference as ref

V, ANSWERS, WORDS, T, B = 64, 32, 8, ref.GLIMPSE_SMALL.max_tokens, 32
S = ref.GLIMPSE_SMALL.image_size


def measure(name, unit, fn, repeats, warmup=2, per=lambda s: s):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(per(time.perf_counter() - start))
    return {"name": name, "unit": unit, "median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def caption_model(kind):
    decoder = ref.DECODERS[kind](V)
    return ref.CaptionModel(decoder)


def vqa_model(kind):
    return {"concat": ref.VQAConcat, "san": ref.VQASAN}[kind](V, ANSWERS)


def train_step(model, forward_loss, optimizer):
    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = forward_loss()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5)
        optimizer.step()

    return step


def suite(repeats, compiled):
    torch.manual_seed(1)
    results = []
    images = torch.rand(B, 3, S, S)
    tokens = torch.randint(4, V, (B, T))
    tokens[:, 0], tokens[:, -1] = 1, 2
    questions = torch.randint(4, V, (B, WORDS))
    answers = torch.randint(0, ANSWERS, (B,))
    suffix = ".compile" if compiled else ""
    for kind in ["rnn", "lstm", "gru", "attention", "concat", "san"]:
        if kind in ("concat", "san"):
            model = vqa_model(kind)
            run = torch.compile(model) if compiled else model
            loss = lambda: ref.vqa_loss(run(images, questions), answers)
            name = "vqa-" + kind
        else:
            model = caption_model(kind)
            run = torch.compile(model) if compiled else model
            loss = lambda: ref.caption_loss(model, run(images, tokens[:, :-1]), tokens[:, 1:])
            name = kind
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        results.append(
            measure(
                f"train.{name}{suffix}", "images/s", train_step(model, loss, optimizer), repeats, per=lambda s: B / s
            )
        )
    results.append(
        {
            "name": "train.peak-rss" + suffix,
            "unit": "MiB",
            "median": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "min": 0,
            "max": 0,
        }
    )
    results[-1]["min"] = results[-1]["max"] = results[-1]["median"]

    one = torch.rand(1, 3, S, S)
    for kind in ["rnn", "lstm", "gru", "attention"]:
        model = caption_model(kind).eval()
        decoder = model.decoder

        def greedy(batch_images, model=model, decoder=decoder, kind=kind):
            with torch.no_grad():
                grid, v = model.encoder(batch_images)
                n = batch_images.shape[0]
                token = torch.ones(n, dtype=torch.long)
                if kind == "rnn":
                    h, image = torch.zeros(n, ref.GLIMPSE_SMALL.hidden), decoder.wih(v)
                elif kind == "gru":
                    h = torch.tanh(decoder.init_h(v))
                else:
                    h, c = decoder.initial_state(v)
                    keys = decoder.att_enc(grid) if kind == "attention" else None
                for _ in range(T):
                    x = decoder.embed(token)
                    if kind == "rnn":
                        h = torch.tanh(decoder.wxh(x) + decoder.whh(h) + image)
                    elif kind == "lstm":
                        h, c = decoder.lstm(x, (h, c))
                    elif kind == "gru":
                        h = decoder.gru(x[:, None], h[None])[1][0]
                    else:
                        z, _ = decoder.attend(grid, keys, h)
                        h, c = decoder.lstm(torch.cat([x, z], 1), (h, c))
                    token = decoder.out(h).argmax(1)

        if compiled:
            continue  # greedy loops are data-dependent Python; torch.compile is measured on training only
        results.append(
            measure(f"caption.{kind}.b1", "ms", lambda: greedy(one), 4 * repeats, warmup=3, per=lambda s: 1000 * s)
        )
        if kind == "attention":
            results.append(
                measure("caption.attention.b32", "images/s", lambda: greedy(images), repeats, per=lambda s: B / s)
            )
    if not compiled:
        for kind in ["concat", "san"]:
            model = vqa_model(kind).eval()
            question = questions[:1]

            def answer(model=model, question=question):
                with torch.no_grad():
                    model(one, question)

            results.append(measure(f"vqa.{kind}.b1", "ms", answer, 4 * repeats, warmup=3, per=lambda s: 1000 * s))
        encoder = ref.Encoder().eval()

        def encode():
            with torch.no_grad():
                encoder(images)

        convs = [encoder.conv1, encoder.conv2, encoder.conv3, encoder.conv4, encoder.conv5]
        sides = [ref.GLIMPSE_SMALL.image_size >> min(k, 3) for k in range(5)]  # pooled after conv1-conv3
        flop = 2 * B * sum(c.weight.numel() * side**2 for c, side in zip(convs, sides))
        results.append(measure("encoder.forward.b32", "GFLOP/s", encode, 2 * repeats, per=lambda s: flop / s / 1e9))
        a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
        results.append(
            measure("sgemm.ceiling", "GFLOP/s", lambda: a @ b, 2 * repeats, per=lambda s: 2 * 1024**3 / s / 1e9)
        )
    return results


def photo_suite(repeats):
    """The photo configuration's encoder (glimpse-photo.md): EfficientNet-Lite0 of the PyPI package,
    eager and through ONNX Runtime (exported once in memory), at batch 1 (ms) and 32 (images/s).
    Skipped, saying so, when efficientnet-lite-pytorch or onnxruntime is not installed."""
    try:
        import io
        import onnxruntime
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as error:
        print(f"photo figures skipped: {error}", file=sys.stderr)
        return []

    class Features(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = EfficientNet.from_name("efficientnet-lite0")

        def forward(self, images):
            return self.network.extract_features(images)

    features = Features().eval()
    one, batch = torch.rand(1, 3, 224, 224), torch.rand(B, 3, 224, 224)
    results = []
    with torch.no_grad():
        results.append(
            measure("photo.encoder.forward.b1", "ms", lambda: features(one), 2 * repeats, per=lambda s: 1000 * s)
        )
        results.append(
            measure("photo.encoder.forward.b32", "images/s", lambda: features(batch), repeats, 1, per=lambda s: B / s)
        )
    model = io.BytesIO()
    torch.onnx.export(
        features,
        one,
        model,
        input_names=["images"],
        output_names=["grid"],
        opset_version=17,
        dynamo=False,
        dynamic_axes={"images": {0: "batch"}, "grid": {0: "batch"}},
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = torch.get_num_threads(), 1
    session = onnxruntime.InferenceSession(model.getvalue(), options, providers=["CPUExecutionProvider"])
    for name, images, unit, per in [
        ("photo.encoder.forward.b1", one.numpy(), "ms", lambda s: 1000 * s),
        ("photo.encoder.forward.b32", batch.numpy(), "images/s", lambda s: B / s),
    ]:
        run = lambda images=images: session.run(None, {"images": images})
        results.append(measure(name + ".onnxruntime", unit, run, 2 * repeats, warmup=3, per=per))
    return results + photo_decoders(repeats, features.network)


def photo_decoders(repeats, network):
    """The photo configuration's decoders (D = 1280, L = 49, V = 10,000, T = 22, batch 32): training
    steps on cached grids, and captioning (encoder + 21 greedy steps) at batch 1 and 32."""
    sizes = ref.Sizes(encoder="efficientnet-lite0", image_size=224, encoder_channels=[], max_tokens=22)
    vocabulary, steps = 10_000, sizes.max_tokens - 1
    grid = torch.rand(B, 49, 1280) * 6
    v = grid.mean(1)
    tokens = torch.randint(4, vocabulary, (B, sizes.max_tokens))
    tokens[:, 0], tokens[:, -1] = 1, 2
    results = []

    class OnGrids(torch.nn.Module):  # caption_loss reads model.decoder
        def __init__(self, decoder):
            super().__init__()
            self.decoder = decoder

    for kind in ["attention", "lstm"]:
        model = OnGrids(ref.DECODERS[kind](vocabulary, sizes))
        loss = lambda model=model: ref.caption_loss(model, model.decoder(grid, v, tokens[:, :-1]), tokens[:, 1:])
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        step = train_step(model, loss, optimizer)
        results.append(measure(f"photo.train.{kind}", "images/s", step, max(3, repeats // 2), 1, per=lambda s: B / s))
    decoder = ref.DECODERS["attention"](vocabulary, sizes).eval()

    def caption(images):
        with torch.no_grad():
            features = network.extract_features(images * 2 - 1).flatten(2).transpose(1, 2)
            mean = features.mean(1)
            h, c = decoder.initial_state(mean)
            keys = decoder.att_enc(features)
            token = torch.ones(images.shape[0], dtype=torch.long)
            for _ in range(steps):
                z, _ = decoder.attend(features, keys, h)
                h, c = decoder.lstm(torch.cat([decoder.embed(token), z], 1), (h, c))
                token = decoder.out(h).argmax(1)

    one, batch = torch.rand(1, 3, 224, 224), torch.rand(B, 3, 224, 224)
    results.append(
        measure("photo.caption.attention.b1", "ms", lambda: caption(one), 2 * repeats, per=lambda s: 1000 * s)
    )
    results.append(
        measure(
            "photo.caption.attention.b32",
            "images/s",
            lambda: caption(batch),
            max(3, repeats // 2),
            1,
            per=lambda s: B / s,
        )
    )
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--compile", action="store_true", help="also measure training through torch.compile")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--only", choices=["small", "photo"], help="only glimpse-small's figures or only the photo ones"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = suite(args.repeats, False) if args.only != "photo" else []
    if args.only != "small":
        results += photo_suite(args.repeats)
    if args.compile:
        try:
            results += suite(args.repeats, True)
        except Exception as error:  # torch.compile needs a C compiler and may not work everywhere
            print(f"torch.compile failed: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps(results))
    else:
        for r in results:
            print(f"{r['name']:32} {r['median']:10.2f} {r['unit']:9} (min {r['min']:.2f}, max {r['max']:.2f})")


if __name__ == "__main__":
    main()
