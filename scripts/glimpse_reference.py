"""The networks of ../shared/spec/glimpse-small.md written plainly in PyTorch, at any size
(`Sizes`, read from a model folder's config.json: a missing key means the glimpse-small value,
as in glimpse), with the spec's tensor names, so a glimpse checkpoint loads with
load_state_dict(strict=True) and gives the same outputs. Used by scripts/make_fixtures.py and
the checkpoint checks; never by the product or CI."""

import json
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Sizes:
    encoder: str = "cnn-small"
    image_size: int = 64
    encoder_channels: list = field(default_factory=lambda: [32, 64, 128, 256, 512])
    embedding: int = 256
    hidden: int = 512
    attention: int = 256
    max_tokens: int = 16
    hops: int = 2

    @property
    def features(self):  # D, the grid's channels
        return 1280 if self.encoder == "efficientnet-lite0" else self.encoder_channels[-1]

    @property
    def side(self):  # the grid's side: three 2x2 pools, or EfficientNet-Lite0's 7x7 at 224x224
        return 7 if self.encoder == "efficientnet-lite0" else self.image_size // 8

    @classmethod
    def from_config(cls, config):
        small = cls()
        values = {k: config.get(k, getattr(small, k)) for k in small.__dataclass_fields__}
        if config.get("head") == "concat":
            values["hops"] = small.hops  # older concat folders say 0
        return cls(**values)


GLIMPSE_SMALL = Sizes()
TINY = Sizes(image_size=16, encoder_channels=[4, 6, 8, 8, 10], embedding=6, hidden=8, attention=5, max_tokens=8)


class Encoder(nn.Module):
    """cnn-small: conv1-conv3 3x3 each with ReLU and a 2x2 max-pool, conv4 3x3 and conv5 1x1 with ReLU."""

    def __init__(self, sizes=GLIMPSE_SMALL):
        super().__init__()
        c = [3] + list(sizes.encoder_channels)
        self.conv1 = nn.Conv2d(c[0], c[1], 3, padding=1)
        self.conv2 = nn.Conv2d(c[1], c[2], 3, padding=1)
        self.conv3 = nn.Conv2d(c[2], c[3], 3, padding=1)
        self.conv4 = nn.Conv2d(c[3], c[4], 3, padding=1)
        self.conv5 = nn.Conv2d(c[4], c[5], 1)

    def forward(self, images):  # [B, 3, S, S] in [0, 1]
        x = (images - 0.5) / 0.25
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x))  # [B, D, S/8, S/8]
        grid = x.flatten(2).transpose(1, 2)  # [B, L, D], location = row * side + col
        return grid, grid.mean(1)


class RNNDecoder(nn.Module):
    def __init__(self, vocab, sizes=GLIMPSE_SMALL):
        super().__init__()
        E, H, D = sizes.embedding, sizes.hidden, sizes.features
        self.hidden = H
        self.embed = nn.Embedding(vocab, E)
        self.wxh = nn.Linear(E, H)
        self.whh = nn.Linear(H, H, bias=False)
        self.wih = nn.Linear(D, H, bias=False)
        self.out = nn.Linear(H, vocab)

    def forward(self, grid, v, inputs):  # inputs [B, S]
        x = self.embed(inputs)
        image = self.wih(v)
        h = torch.zeros(inputs.shape[0], self.hidden, dtype=v.dtype)
        hs = []
        for t in range(inputs.shape[1]):
            h = torch.tanh(self.wxh(x[:, t]) + self.whh(h) + image)
            hs.append(h)
        return self.out(torch.stack(hs, 1))


class LSTMDecoder(nn.Module):
    def __init__(self, vocab, sizes=GLIMPSE_SMALL, input_size=None):
        super().__init__()
        E, H, D = sizes.embedding, sizes.hidden, sizes.features
        self.embed = nn.Embedding(vocab, E)
        self.init_h = nn.Linear(D, H)
        self.init_c = nn.Linear(D, H)
        self.lstm = nn.LSTMCell(input_size or E, H)
        self.out = nn.Linear(H, vocab)

    def initial_state(self, v):
        return torch.tanh(self.init_h(v)), torch.tanh(self.init_c(v))

    def forward(self, grid, v, inputs):
        x = self.embed(inputs)
        h, c = self.initial_state(v)
        hs = []
        for t in range(inputs.shape[1]):
            h, c = self.lstm(x[:, t], (h, c))
            hs.append(h)
        return self.out(torch.stack(hs, 1))


class GRUDecoder(nn.Module):
    """h0 = tanh(W_h0 v + b_h0); nn.GRU's cell (gates r, z, n) over the embeddings."""

    def __init__(self, vocab, sizes=GLIMPSE_SMALL):
        super().__init__()
        E, H, D = sizes.embedding, sizes.hidden, sizes.features
        self.embed = nn.Embedding(vocab, E)
        self.init_h = nn.Linear(D, H)
        self.gru = nn.GRU(E, H, batch_first=True)
        self.out = nn.Linear(H, vocab)

    def forward(self, grid, v, inputs):
        h0 = torch.tanh(self.init_h(v))[None]  # [1, B, H]
        hs, _ = self.gru(self.embed(inputs), h0)
        return self.out(hs)


class AttentionDecoder(LSTMDecoder):
    def __init__(self, vocab, sizes=GLIMPSE_SMALL):
        E, H, A, D = sizes.embedding, sizes.hidden, sizes.attention, sizes.features
        super().__init__(vocab, sizes, E + D)
        self.att_enc = nn.Linear(D, A)
        self.att_dec = nn.Linear(H, A, bias=False)
        self.att_w = nn.Linear(A, 1, bias=False)
        self.beta = nn.Linear(H, D)

    def attend(self, grid, keys, h):
        e = self.att_w(torch.tanh(keys + self.att_dec(h)[:, None])).squeeze(-1)  # [B, L]
        alpha = torch.softmax(e, 1)
        context = (alpha[..., None] * grid).sum(1)
        return torch.sigmoid(self.beta(h)) * context, alpha

    def forward(self, grid, v, inputs):
        x = self.embed(inputs)
        keys = self.att_enc(grid)
        h, c = self.initial_state(v)
        hs, alphas = [], []
        for t in range(inputs.shape[1]):
            z, alpha = self.attend(grid, keys, h)
            h, c = self.lstm(torch.cat([x[:, t], z], 1), (h, c))
            hs.append(h)
            alphas.append(alpha)
        self.alphas = torch.stack(alphas, 1)  # [B, S, L]
        return self.out(torch.stack(hs, 1))


DECODERS = {"rnn": RNNDecoder, "lstm": LSTMDecoder, "gru": GRUDecoder, "attention": AttentionDecoder}


def photo_encoder():
    """glimpse-photo.md's encoder: the PyPI package's EfficientNet-Lite0 without its classifier,
    so that its tensors are exactly a photo model's `encoder.*` (pip install efficientnet-lite-pytorch)."""
    from efficientnet_lite_pytorch import EfficientNet

    class PhotoEncoder(EfficientNet):
        def forward(self, images):  # [B, 3, 224, 224] in [0, 1]
            x = self.extract_features(images * 2 - 1)  # [B, 1280, 7, 7]
            grid = x.flatten(2).transpose(1, 2)  # [B, 49, 1280], location = row·7 + col
            return grid, grid.mean(1)

    blocks, params = __import__("efficientnet_lite_pytorch.utils", fromlist=["x"]).get_model_params(
        "efficientnet-lite0", None
    )
    encoder = PhotoEncoder(blocks, params)
    del encoder._fc
    return encoder


def make_encoder(sizes):
    return photo_encoder() if sizes.encoder == "efficientnet-lite0" else Encoder(sizes)


class CaptionModel(nn.Module):
    def __init__(self, decoder, sizes=GLIMPSE_SMALL):
        super().__init__()
        self.encoder = make_encoder(sizes)
        self.decoder = decoder

    def forward(self, images, inputs):
        grid, v = self.encoder(images)
        return self.decoder(grid, v, inputs)


def caption_loss(model, logits, targets):
    """Cross-entropy over real targets (0 = <pad>), summed over time, averaged over the batch;
    for attention, plus the doubly stochastic penalty λ/B · Σ_b Σ_i (1 − Σ_t α_bti)² over real steps."""
    batch = targets.shape[0]
    mask = (targets != 0).to(logits.dtype)
    ce = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
    loss = (ce * mask.flatten()).sum() / batch
    decoder = model.decoder
    if isinstance(decoder, AttentionDecoder):
        attended = (decoder.alphas * mask[..., None]).sum(1)  # [B, L]
        loss = loss + ((1 - attended) ** 2).sum() / batch
    return loss


class SplitMix64:
    """The generator of glimpse's SeededGenerator, so both sides make the same float32 values."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def unit(self, count):  # (next >> 40) · 2⁻²⁴, exact in float32
        return torch.tensor([(self.next() >> 40) for _ in range(count)], dtype=torch.float64) * 2.0**-24

    def symmetric(self, count, bound):
        return (self.unit(count) * 2 - 1) * bound


def fixture_bound(shape):
    """A power of two near 1/√fan_in (fan_in = all but the first dimension; 1 for a bias)."""
    fan_in = 1
    for s in shape[1:]:
        fan_in *= s
    bound = 1.0
    while bound * bound * fan_in > 1.0:
        bound /= 2
    return bound


def fill_fixture_weights(model, seed):
    """Every parameter, in order of name, from one SplitMix64 stream: exactly the values the
    Swift tests make with fillFixtureWeights."""
    rng = SplitMix64(seed)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name in sorted(params):
            p = params[name]
            p.copy_(rng.symmetric(p.numel(), fixture_bound(list(p.shape))).reshape(p.shape))
    return rng


class QuestionEncoder(nn.Module):
    def __init__(self, vocab, sizes=GLIMPSE_SMALL):
        super().__init__()
        self.hidden = sizes.hidden
        self.embed = nn.Embedding(vocab, sizes.embedding)
        self.lstm = nn.LSTMCell(sizes.embedding, sizes.hidden)

    def forward(self, questions):  # [B, S], <pad> = 0 at the end; q = state after the last real token
        x = self.embed(questions)
        lengths = (questions != 0).long().cumsum(1).max(1).values
        h = torch.zeros(questions.shape[0], self.hidden, dtype=x.dtype)
        c = torch.zeros_like(h)
        hs = []
        for t in range(questions.shape[1]):
            h, c = self.lstm(x[:, t], (h, c))
            hs.append(h)
        hs = torch.stack(hs, 1)
        return hs[torch.arange(questions.shape[0]), lengths - 1]


class VQAConcat(nn.Module):
    def __init__(self, vocab, answers, sizes=GLIMPSE_SMALL):
        super().__init__()
        H, D = sizes.hidden, sizes.features
        self.encoder = make_encoder(sizes)
        self.question = QuestionEncoder(vocab, sizes)
        self.wv = nn.Linear(D, H, bias=False)
        self.wq = nn.Linear(H, H, bias=False)
        self.fc1 = nn.Linear(H, H)
        self.fc2 = nn.Linear(H, answers)

    def forward(self, images, questions):
        grid, v = self.encoder(images)
        f = torch.tanh(self.wv(v)) * torch.tanh(self.wq(self.question(questions)))
        return self.fc2(F.relu(self.fc1(f)))


class Hop(nn.Module):
    def __init__(self, sizes=GLIMPSE_SMALL):
        super().__init__()
        A, D = sizes.attention, sizes.features
        self.wi = nn.Linear(D, A)
        self.wu = nn.Linear(D, A, bias=False)
        self.wp = nn.Linear(A, 1, bias=False)

    def forward(self, grid, u):
        h = torch.tanh(self.wi(grid) + self.wu(u)[:, None])
        p = torch.softmax(self.wp(h).squeeze(-1), 1)
        return u + (p[..., None] * grid).sum(1), p


class VQASAN(nn.Module):
    def __init__(self, vocab, answers, sizes=GLIMPSE_SMALL):
        super().__init__()
        H, D = sizes.hidden, sizes.features
        self.encoder = make_encoder(sizes)
        self.question = QuestionEncoder(vocab, sizes)
        self.wq = nn.Linear(H, D, bias=False)
        self.hops = nn.ModuleList([Hop(sizes) for _ in range(sizes.hops)])
        self.ans = nn.Linear(D, answers)

    def forward(self, images, questions):
        grid, v = self.encoder(images)
        u = torch.tanh(self.wq(self.question(questions)))
        self.hop_weights = []
        for hop in self.hops:
            u, p = hop(grid, u)
            self.hop_weights.append(p)
        return self.ans(u)


def vqa_loss(logits, answers):
    """Cross-entropy over the answers, averaged over the batch."""
    return F.cross_entropy(logits, answers, reduction="sum") / logits.shape[0]


HEADS = {"concat": VQAConcat, "san": VQASAN}


def glimpse_names(model):
    """nn.GRU names its tensors weight_ih_l0, ...; glimpse (the spec) drops the layer suffix.
    Batch norm's num_batches_tracked is PyTorch's bookkeeping, not a weight: glimpse has none."""
    return {name.replace("_l0", ""): name for name in model.state_dict() if not name.endswith("num_batches_tracked")}


def load_glimpse_weights(model, weights):
    """Loads a glimpse state dict (spec names) strictly into a reference model."""
    names = glimpse_names(model)
    missing = set(names) - set(weights)
    unexpected = set(weights) - set(names)
    if missing or unexpected:
        raise KeyError(f"missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    kept = {k: v for k, v in model.state_dict().items() if k.endswith("num_batches_tracked")}
    model.load_state_dict({**kept, **{names[k]: v for k, v in weights.items()}}, strict=True)


def build_from_folder(folder):
    """The reference model a glimpse model folder describes (config.json), its weights loaded
    strictly in float64; returns (model, config)."""
    from safetensors.torch import load_file

    config = json.load(open(f"{folder}/config.json"))
    sizes = Sizes.from_config(config)
    if config["model"] == "caption":
        model = CaptionModel(DECODERS[config["decoder"]](config["vocabulary_size"], sizes), sizes)
    else:
        model = HEADS[config["head"]](config["vocabulary_size"], config["answers"], sizes)
    weights = {k: v.double() for k, v in load_file(f"{folder}/model.safetensors").items()}
    model.double()
    load_glimpse_weights(model, weights)
    return model.eval(), config
