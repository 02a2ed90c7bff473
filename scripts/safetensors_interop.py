#!/usr/bin/env python3
"""safetensors interop, both ways (run by hand; needs numpy, torch and safetensors):
1. writes Tests/GlimpseTensorTests/Fixtures/python_written.safetensors with Python's own
   safetensors package (F32, F16 and BF16 tensors and metadata), which the Swift tests load;
2. loads the Swift-written fixtures (swift_written*.safetensors, committed by
   `GLIMPSE_UPDATE_FIXTURES=1 scripts/test --filter SafeTensorsTests`) and checks their values."""

import pathlib
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

fixtures = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "GlimpseTensorTests" / "Fixtures"

save_file(
    {
        "a": (torch.arange(6, dtype=torch.float32) / 7).reshape(2, 3),
        "b": torch.tensor([0.5, -1.25, 65504.0, 1e-4], dtype=torch.float16),
        "c": torch.tensor([[1.5, -2.0], [3.140625, 0.0]], dtype=torch.bfloat16),
    },
    str(fixtures / "python_written.safetensors"),
    metadata={"format": "pt", "note": "written by safetensors"},
)
print("wrote python_written.safetensors")

# The same values the Swift test writes (SafeTensorsTests.swiftTensors).
expected_weight = (np.arange(6, dtype=np.float32) * 0.25 - 0.5).reshape(3, 2)
expected_bias = np.array([0.1, -2.0, 1000.0], dtype=np.float32)
failures = 0
for name, dtype in [("swift_written.safetensors", torch.float32), ("swift_written_f16.safetensors", torch.float16)]:
    with safe_open(str(fixtures / name), framework="pt") as f:
        metadata = f.metadata()
        weight, bias = f.get_tensor("decoder.out.weight"), f.get_tensor("decoder.out.bias")
    ok = (
        metadata == {"producer": "glimpse", "format": "pt"}
        and weight.dtype == dtype
        and bias.dtype == dtype
        and list(weight.shape) == [3, 2]
        and list(bias.shape) == [3]
        and np.allclose(weight.float().numpy(), expected_weight, rtol=1e-3)
        and np.allclose(bias.float().numpy(), expected_bias, rtol=1e-3)
    )
    print(f"{name}: {'loads in Python with the expected values' if ok else 'MISMATCH'}")
    failures += not ok
sys.exit(1 if failures else 0)
