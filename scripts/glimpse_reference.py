"""The glimpse-small networks of ../shared/spec/glimpse-small.md written plainly in PyTorch, with
the spec's tensor names, so a glimpse checkpoint loads with load_state_dict(strict=True) and
gives the same outputs. Used by scripts/make_fixtures.py and the checkpoint checks; never by
the product or CI."""
import torch
import torch.nn as nn
import torch.nn.functional as F

E, H, A, D, L = 256, 512, 256, 512, 64


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1)
        self.conv4 = nn.Conv2d(128, 256, 3, padding=1)
        self.conv5 = nn.Conv2d(256, 512, 1)

    def forward(self, images):  # [B, 3, 64, 64] in [0, 1]
        x = (images - 0.5) / 0.25
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x))  # [B, 512, 8, 8]
        grid = x.flatten(2).transpose(1, 2)  # [B, 64, 512], location = row * 8 + col
        return grid, grid.mean(1)


class RNNDecoder(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, E)
        self.wxh = nn.Linear(E, H)
        self.whh = nn.Linear(H, H, bias=False)
        self.wih = nn.Linear(D, H, bias=False)
        self.out = nn.Linear(H, vocab)

    def forward(self, grid, v, inputs):  # inputs [B, S]
        x = self.embed(inputs)
        image = self.wih(v)
        h = torch.zeros(inputs.shape[0], H, dtype=v.dtype)
        hs = []
        for t in range(inputs.shape[1]):
            h = torch.tanh(self.wxh(x[:, t]) + self.whh(h) + image)
            hs.append(h)
        return self.out(torch.stack(hs, 1))


class LSTMDecoder(nn.Module):
    def __init__(self, vocab, input_size=E):
        super().__init__()
        self.embed = nn.Embedding(vocab, E)
        self.init_h = nn.Linear(D, H)
        self.init_c = nn.Linear(D, H)
        self.lstm = nn.LSTMCell(input_size, H)
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


class AttentionDecoder(LSTMDecoder):
    def __init__(self, vocab):
        super().__init__(vocab, E + D)
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


class CaptionModel(nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.encoder = Encoder()
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
        return torch.tensor([(self.next() >> 40) for _ in range(count)], dtype=torch.float64) * 2.0 ** -24

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
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, E)
        self.lstm = nn.LSTMCell(E, H)

    def forward(self, questions):  # [B, S], <pad> = 0 at the end; q = state after the last real token
        x = self.embed(questions)
        lengths = (questions != 0).long().cumsum(1).max(1).values
        h = torch.zeros(questions.shape[0], H, dtype=x.dtype)
        c = torch.zeros_like(h)
        hs = []
        for t in range(questions.shape[1]):
            h, c = self.lstm(x[:, t], (h, c))
            hs.append(h)
        hs = torch.stack(hs, 1)
        return hs[torch.arange(questions.shape[0]), lengths - 1]


class VQAConcat(nn.Module):
    def __init__(self, vocab, answers):
        super().__init__()
        self.encoder = Encoder()
        self.question = QuestionEncoder(vocab)
        self.wv = nn.Linear(D, H, bias=False)
        self.wq = nn.Linear(H, H, bias=False)
        self.fc1 = nn.Linear(H, H)
        self.fc2 = nn.Linear(H, answers)

    def forward(self, images, questions):
        grid, v = self.encoder(images)
        f = torch.tanh(self.wv(v)) * torch.tanh(self.wq(self.question(questions)))
        return self.fc2(F.relu(self.fc1(f)))


class Hop(nn.Module):
    def __init__(self):
        super().__init__()
        self.wi = nn.Linear(D, A)
        self.wu = nn.Linear(D, A, bias=False)
        self.wp = nn.Linear(A, 1, bias=False)

    def forward(self, grid, u):
        h = torch.tanh(self.wi(grid) + self.wu(u)[:, None])
        p = torch.softmax(self.wp(h).squeeze(-1), 1)
        return u + (p[..., None] * grid).sum(1), p


class VQASAN(nn.Module):
    def __init__(self, vocab, answers):
        super().__init__()
        self.encoder = Encoder()
        self.question = QuestionEncoder(vocab)
        self.wq = nn.Linear(H, D, bias=False)
        self.hops = nn.ModuleList([Hop(), Hop()])
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
