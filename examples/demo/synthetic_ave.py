"""The demo's audio-visual events: synthetic AVE videos, a DAM training loop and CML with a trained
model, in torch; the AVE evaluation protocol itself is vidtemporal.ave (numpy)."""
import numpy as np
import torch
from torch import nn

from vidtemporal import ave
from vidtemporal.torch import dam_loss


def make_synthetic_ave(num_videos, num_segments=10, num_classes=5, audio_dim=128, visual_dim=512, seed=0,
                       noise=1.0, distractor_rate=0.5, world_seed=2019):
    """Videos of ``num_segments`` one-second segments with an event of one of ``num_classes``
    classes on a random contiguous span, present in both modalities (the class's audio and visual
    prototypes), background elsewhere (a per-video scene plus noise). With probability
    ``distractor_rate`` a video also has a distractor: the event class's prototype, weaker, on one
    background segment of one modality only (a sound off screen, an object that makes no sound),
    so neither modality alone gives the event boundary. About one video in ten has an event over
    all segments. ``world_seed`` fixes the class prototypes (the same for a training and a test
    split), ``seed`` the videos. Returns a dict of float32 arrays ``audio (N, T, audio_dim)``,
    ``visual``, ``labels (N, T)`` (0/1) and int64 ``classes``, ``starts``, ``lengths``."""
    world = np.random.default_rng(world_seed)
    audio_protos = world.standard_normal((num_classes, audio_dim)) * 1.5
    visual_protos = world.standard_normal((num_classes, visual_dim)) * 1.5
    rng = np.random.default_rng(seed)
    t = num_segments
    audio = rng.standard_normal((num_videos, t, audio_dim)) * noise
    visual = rng.standard_normal((num_videos, t, visual_dim)) * noise
    audio += rng.standard_normal((num_videos, 1, audio_dim))       # the scene, constant over the video
    visual += rng.standard_normal((num_videos, 1, visual_dim))
    classes = rng.integers(0, num_classes, num_videos)
    lengths = np.where(rng.random(num_videos) < 0.1, t, rng.integers(1, max(t, 2), num_videos))
    starts = np.array([rng.integers(0, t - length + 1) for length in lengths])
    labels = np.zeros((num_videos, t), np.float32)
    for i in range(num_videos):
        span = slice(starts[i], starts[i] + lengths[i])
        labels[i, span] = 1
        audio[i, span] += audio_protos[classes[i]]
        visual[i, span] += visual_protos[classes[i]]
        background = np.flatnonzero(labels[i] == 0)
        if len(background) and rng.random() < distractor_rate:
            segment = rng.choice(background)
            if rng.random() < 0.5:
                audio[i, segment] += 0.6 * audio_protos[classes[i]]
            else:
                visual[i, segment] += 0.6 * visual_protos[classes[i]]
    return {"audio": audio.astype(np.float32), "visual": visual.astype(np.float32), "labels": labels,
            "classes": classes.astype(np.int64), "starts": starts.astype(np.int64), "lengths": lengths.astype(np.int64)}


def localize_events(model, data, direction):
    """CML starts for every video: ``direction`` "A2V" (the audio event's global feature scores the
    visual segments) or "V2A". The query's global feature is computed over its event segments."""
    if direction not in ("A2V", "V2A"):
        raise ValueError(f"localize_events: direction must be 'A2V' or 'V2A', got {direction!r}")
    with torch.no_grad():
        audio, visual = torch.from_numpy(data["audio"]), torch.from_numpy(data["visual"])
        mask = torch.from_numpy(data["labels"])
        _, _, _, global_audio, global_visual = model(audio, visual, mask)
        projected_audio, projected_visual = model.project(audio, visual)
    query, other = (global_audio, projected_visual) if direction == "A2V" else (global_visual, projected_audio)
    return ave.localize_starts(query.numpy(), other.numpy(), data["lengths"])


def train_dam(model, data, steps=300, batch=32, lr=3e-3, seed=0, progress=None):
    """Trains ``model`` (a ``vidtemporal.torch.DualAttentionMatching``) with ``dam_loss`` on the
    event relevance, the ground-truth region as the mask, plus cross-entropy on the event class
    when the model has a classifier. Returns the loss per step."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tensors = {k: torch.from_numpy(v) for k, v in data.items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    steps_iter = progress(range(steps)) if progress else range(steps)
    for _ in steps_iter:
        idx = torch.from_numpy(rng.integers(0, len(data["classes"]), batch))
        labels = tensors["labels"][idx]
        p, _, _, global_audio, global_visual = model(tensors["audio"][idx], tensors["visual"][idx], labels)
        labels = labels.to(p.dtype)
        loss = dam_loss(p, labels)
        if model.classifier is not None:
            loss = loss + nn.functional.cross_entropy(model.classify(global_audio, global_visual),
                                                      tensors["classes"][idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
