"""The torch versions features need (README: "torch versions")."""
import torch

# torch.library.custom_op and register_fake, which every op is built on.
TORCH_FLOOR = "2.4"
# torch.onnx.export(dynamo=True) says it is exporting (torch.onnx.is_in_onnx_export) from 2.8 on,
# which is how the ops know to trace their plain-torch form; before, the graph keeps the
# vidtemporal ops, which ONNX has no translation for.
ONNX_EXPORT_FLOOR = "2.8"


def has(floor):
    return torch.__version__ >= floor


def require(floor, what):
    if not has(floor):
        raise RuntimeError(f"{what} needs torch {floor} or newer; this is torch {torch.__version__}")
