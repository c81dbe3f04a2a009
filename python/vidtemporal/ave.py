"""The AVE benchmark's evaluation protocol (audio-visual event localisation), for DAM's outputs,
in numpy:

* cross-modality localisation (CML): given the event segments of one modality, find where the
  event lies in the other (A2V: audio query, visual sequence; V2A the reverse). A video counts
  only when the predicted start is exact, and videos whose event covers all segments are skipped
  (their start is trivially 0).
* supervised event localisation (SEL): each segment is labelled background when p < 0.5, else
  with the clip's predicted event class; accuracy is over all segments.

The demo's synthetic AVE videos and DAM training loop are in examples/demo/synthetic_ave.py.
"""
import numpy as np

from ._errors import error

from .cml_localize import cml_localize


def localize_starts(query_global, other_local, lengths):
    """CML starts, one per video: where in ``other_local (N, T, D)`` (the other modality's
    segment features) the event of ``lengths[i]`` segments lies, scored by the query modality's
    global event feature ``query_global (N, D)`` (``cml_localize`` per video)."""
    return np.array([cml_localize(query_global[i], other_local[i], int(length)) for i, length in enumerate(lengths)])


def cml_accuracy(predicted_starts, starts, lengths, num_segments):
    """The AVE CML accuracy: exact start hits over the videos whose event does not cover all
    ``num_segments`` segments (those are skipped)."""
    predicted_starts, starts, lengths = map(np.asarray, (predicted_starts, starts, lengths))
    counted = lengths < num_segments
    if not counted.any():
        raise error(ValueError, "cml_accuracy", "lengths", "every event covers all segments; nothing to count")
    return float((predicted_starts[counted] == starts[counted]).mean())


def cml_chance(lengths, num_segments):
    """The expected CML accuracy of a uniformly random start, over the counted videos."""
    lengths = np.asarray(lengths)
    counted = lengths[lengths < num_segments]
    return float((1.0 / (num_segments - counted + 1)).mean())


def event_localization_accuracy(p, predicted_classes, labels, classes):
    """The AVE SEL accuracy: per segment, the prediction is background when p < 0.5, else the
    clip's predicted class; the truth is background where labels == 0, else the clip's class."""
    p, labels = np.asarray(p), np.asarray(labels)
    background = -1
    predicted = np.where(p < 0.5, background, np.asarray(predicted_classes)[:, None])
    truth = np.where(labels == 0, background, np.asarray(classes)[:, None])
    return float((predicted == truth).mean())
