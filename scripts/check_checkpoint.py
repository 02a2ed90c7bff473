#!/usr/bin/env python3
"""Loads glimpse caption checkpoints into the PyTorch version of the spec
(scripts/glimpse_reference.py) with load_state_dict(strict=True) and compares the logits for
the same image and tokens (run by hand; needs torch and safetensors):

    GLIMPSE_EXPORT_CHECKPOINT=/tmp/export swift test -c release -Xswiftc -enable-testing --filter testExportForPyTorch
    python3 scripts/check_checkpoint.py /tmp/export/rnn /tmp/export/lstm /tmp/export/attention
"""
import json
import sys

import torch
from safetensors.torch import load_file

import glimpse_reference as ref

failures = 0
for folder in sys.argv[1:]:
    config = json.load(open(f"{folder}/config.json"))
    vocab = config["vocabulary_size"]
    decoder = {"rnn": ref.RNNDecoder, "lstm": ref.LSTMDecoder, "attention": ref.AttentionDecoder}[config["decoder"]](vocab)
    model = ref.CaptionModel(decoder).double()
    weights = {k: v.double() for k, v in load_file(f"{folder}/model.safetensors").items()}
    model.load_state_dict(weights, strict=True)
    check = load_file(f"{folder}/check.safetensors")
    with torch.no_grad():
        logits = model(check["images"].double(), check["tokens"].long())
    expected = check["logits"].double()
    error = ((logits - expected).abs() / expected.abs().clamp(min=1e-1)).max().item()
    ok = error <= 1e-4
    failures += not ok
    print(f"{config['decoder']}: strict load ok; logits {list(logits.shape)}, worst relative difference {error:.2e} {'ok' if ok else 'TOO LARGE'}")
sys.exit(1 if failures else 0)
