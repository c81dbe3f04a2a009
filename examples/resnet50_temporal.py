# %% [markdown]
# # Temporal modules in an existing ResNet-50 training loop
#
# A 2D ResNet-50 classifies frames. vidtemporal turns it into a video network without touching
# the training loop: the clip's T frames go through the backbone as a batch of N*T images, the
# temporal modules exchange information between the frames of each clip, and the frames' scores
# are averaged (TSN consensus). Run it as a script or cell by cell (`# %%`) in a notebook:
#
#     python examples/resnet50_temporal.py --kind tsm --steps 3
#
# Kinds: `tsn` (no temporal module), `tsm` (make_temporal_shift), `tin`
# (make_temporal_interlace), `ms` (TSM + MotionSqueeze after stage 2, as in MSNet), `gta`
# (TSM + one GlobalTemporalAttention block after stage 3).

# %%
import argparse
import os
import sys

import torch
from torch import nn

import vidtemporal.torch as vtt

try:
    from torchvision.models import resnet50
except Exception:   # no torchvision, or a build that does not match this torch: the same layout
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torchvision_resnet import resnet50

KINDS = ("tsn", "tsm", "tin", "ms", "gta")


# %% [markdown]
# ## The video model: an existing 2D backbone plus one line per temporal module

# %%
def temporal_resnet50(kind, num_segments, num_classes):
    """A torchvision ResNet-50 (load ImageNet weights here, before the changes: the modules keep
    the backbone's parameter names) with the temporal module ``kind`` inserted."""
    net = resnet50()
    net.fc = nn.Linear(net.fc.in_features, num_classes)
    if kind in ("tsm", "ms", "gta"):
        vtt.make_temporal_shift(net, num_segments, fold_div=8)              # shift in every residual branch
    if kind == "tin":
        vtt.make_temporal_interlace(net, num_segments, shift_div=4)         # learned offsets instead
    if kind == "ms":
        net.layer2 = nn.Sequential(net.layer2, vtt.MotionSqueeze(512, num_segments))            # after stage 2
    if kind == "gta":
        net.layer3 = nn.Sequential(net.layer3, vtt.GlobalTemporalAttention(1024, num_segments))  # after stage 3
    return net


class VideoClassifier(nn.Module):
    """clips (N, T, 3, H, W) -> class scores (N, classes): frames through the backbone as one
    batch, scores averaged over each clip's frames."""

    def __init__(self, backbone, num_segments):
        super().__init__()
        self.backbone, self.num_segments = backbone, num_segments

    def forward(self, clips):
        n, t = clips.shape[:2]
        if t != self.num_segments:
            raise ValueError(f"clips must have {self.num_segments} frames (N, T, 3, H, W), got shape {tuple(clips.shape)}")
        scores = self.backbone(clips.flatten(0, 1))
        return scores.view(n, t, -1).mean(1)


# %% [markdown]
# ## The usual training loop, unchanged
# Replace the random clips with a DataLoader over your videos (T frames sampled per clip).

# %%
def train(kind="tsm", steps=3, clips=2, frames=8, size=64, num_classes=10, seed=0):
    torch.manual_seed(seed)
    model = VideoClassifier(temporal_resnet50(kind, frames, num_classes), frames)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
    losses = []
    model.train()
    for step in range(steps):
        x = torch.randn(clips, frames, 3, size, size)
        y = torch.randint(0, num_classes, (clips,))
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        print(f"{kind}: step {step + 1}/{steps}  loss {loss.item():.4f}")
    return model, losses


# %%
if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A temporal ResNet-50 in a plain training loop.")
    parser.add_argument("--kind", choices=KINDS, default="tsm")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--clips", type=int, default=2, help="clips per batch")
    parser.add_argument("--frames", type=int, default=8, help="frames per clip (T)")
    parser.add_argument("--size", type=int, default=112, help="frame height and width")
    args = parser.parse_args()
    train(args.kind, args.steps, args.clips, args.frames, args.size)
