#!/usr/bin/env python3
"""Reference fixtures from PyTorch, in float64, for the Swift tests (run by hand; needs torch and
safetensors). At glimpse-small's sizes, guarding the shipped networks: the cnn-small encoder on
a batch of 2, 5-step rnn, lstm and attention decoders (encoder included) with teacher forcing
and the masked loss, and whole vqa-concat and vqa-san forward/backward passes (encoder and
question encoder included). At the tiny sizes, a few kilobytes each: the same for every
decoder (gru too) and both VQA heads, every gradient element kept. Weights and inputs come
from the SplitMix64 stream both sides share (scripts/glimpse_reference.py), so no weights are
stored: each file holds the outputs and every parameter's gradient (all of it when it has at
most 65,536 elements, otherwise every k-th element, k in the metadata)."""

import pathlib

import torch
from safetensors.torch import save_file

import glimpse_reference as ref

torch.set_default_dtype(torch.float64)
out_dir = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "GlimpseModelsTests" / "Fixtures"
out_dir.mkdir(parents=True, exist_ok=True)
SAMPLE = 65536


def gradients(model):
    tensors, metadata = {}, {}
    for name, p in model.named_parameters():
        name = name.replace("_l0", "")  # nn.GRU's layer suffix; the spec's names have none
        g = p.grad.flatten()
        stride = max(1, -(-g.numel() // SAMPLE))
        tensors["grad." + name] = g[::stride].float().contiguous()
        metadata["stride." + name] = str(stride)
    return tensors, metadata


def encoder_fixture():
    model = torch.nn.Module()
    model.encoder = ref.Encoder()  # so parameters are named encoder.conv1.weight, ... as in a checkpoint
    rng = ref.fill_fixture_weights(model, seed=1001)
    images = rng.unit(2 * 3 * 64 * 64).reshape(2, 3, 64, 64)
    r_grid = rng.symmetric(2 * 64 * 512, 1.0).reshape(2, 64, 512)
    r_mean = rng.symmetric(2 * 512, 1.0).reshape(2, 512)
    grid, mean = model.encoder(images)
    ((grid * r_grid).sum() + (mean * r_mean).sum()).backward()
    tensors, metadata = gradients(model)
    tensors.update({"output.grid": grid.float(), "output.mean": mean.float()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(out_dir / "encoder_b2.safetensors"), metadata)


# [B, S+1] tokens: <start>=1 ... <end>=2, then <pad>=0 for the shorter caption.
TOKENS = torch.tensor([[1, 5, 9, 6, 7, 2], [1, 8, 4, 2, 0, 0]])
VOCAB = 12


def decoder_fixture(kind, decoder, sizes=ref.GLIMPSE_SMALL, prefix=""):
    model = ref.CaptionModel(decoder, sizes)
    rng = ref.fill_fixture_weights(model, seed=2002)
    s = sizes.image_size
    images = rng.unit(2 * 3 * s * s).reshape(2, 3, s, s)
    inputs, targets = TOKENS[:, :-1], TOKENS[:, 1:]
    logits = model(images, inputs)
    loss = ref.caption_loss(model, logits, targets)
    loss.backward()
    tensors, metadata = gradients(model)
    tensors.update({"output.logits": logits.float(), "output.loss": loss.reshape(1).float()})
    save_file(
        {k: v.contiguous() for k, v in tensors.items()}, str(out_dir / f"{prefix}decoder_{kind}.safetensors"), metadata
    )
    print(f"{prefix}{kind}: loss {loss.item():.6f}")


QUESTIONS = torch.tensor([[4, 7, 5, 9, 0], [6, 5, 0, 0, 0]])  # [B, S], <pad> = 0 at the end
ANSWERS = torch.tensor([3, 1])
QUESTION_VOCAB, ANSWER_COUNT = 10, 6


def vqa_fixture(kind, model, sizes=ref.GLIMPSE_SMALL, prefix=""):
    rng = ref.fill_fixture_weights(model, seed=3003)
    s = sizes.image_size
    images = rng.unit(2 * 3 * s * s).reshape(2, 3, s, s)
    logits = model(images, QUESTIONS)
    loss = ref.vqa_loss(logits, ANSWERS)
    loss.backward()
    tensors, metadata = gradients(model)
    tensors.update({"output.logits": logits.float(), "output.loss": loss.reshape(1).float()})
    save_file(
        {k: v.contiguous() for k, v in tensors.items()}, str(out_dir / f"{prefix}vqa_{kind}.safetensors"), metadata
    )
    print(f"{prefix}vqa-{kind}: loss {loss.item():.6f}")


encoder_fixture()
decoder_fixture("rnn", ref.RNNDecoder(VOCAB))
decoder_fixture("lstm", ref.LSTMDecoder(VOCAB))
decoder_fixture("attention", ref.AttentionDecoder(VOCAB))
vqa_fixture("concat", ref.VQAConcat(QUESTION_VOCAB, ANSWER_COUNT))
vqa_fixture("san", ref.VQASAN(QUESTION_VOCAB, ANSWER_COUNT))
for kind, decoder in ref.DECODERS.items():
    decoder_fixture(kind, decoder(VOCAB, ref.TINY), ref.TINY, prefix="tiny_")
for kind, head in ref.HEADS.items():
    vqa_fixture(kind, head(QUESTION_VOCAB, ANSWER_COUNT, ref.TINY), ref.TINY, prefix="tiny_")
