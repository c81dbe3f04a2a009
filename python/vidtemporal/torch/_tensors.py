"""Checks shared by the torch ops."""
import torch


def require_cpu(tensor, name, fn):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{fn}: {name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.device.type != "cpu":
        raise ValueError(f"{fn}: {name} is on {tensor.device}; vidtemporal runs on CPU tensors only "
                         f"(move it with .cpu())")
    return tensor
