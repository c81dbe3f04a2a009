"""Temporal shift in plain torch: the official code's slicing."""
import torch


def shift(x, num_segments, fold_div, mode):
    nt, c, h, w = x.shape
    v = x.reshape(nt // num_segments, num_segments, c, h, w)
    fold = c // fold_div
    y = torch.zeros_like(v)
    if mode == 0:  # bidirectional: [0, fold) from the next frame, [fold, 2 fold) from the previous
        y[:, :-1, :fold] = v[:, 1:, :fold]
        y[:, 1:, fold:2 * fold] = v[:, :-1, fold:2 * fold]
        y[:, :, 2 * fold:] = v[:, :, 2 * fold:]
    else:  # unidirectional: [0, fold) from the previous frame
        y[:, 1:, :fold] = v[:, :-1, :fold]
        y[:, :, fold:] = v[:, :, fold:]
    return y.reshape(nt, c, h, w)


def unshift(grad, num_segments, fold_div, mode):
    """The adjoint: each gradient goes back to the frame its value came from, zero fill."""
    nt, c, h, w = grad.shape
    g = grad.reshape(nt // num_segments, num_segments, c, h, w)
    fold = c // fold_div
    x = torch.zeros_like(g)
    if mode == 0:
        x[:, 1:, :fold] = g[:, :-1, :fold]
        x[:, :-1, fold:2 * fold] = g[:, 1:, fold:2 * fold]
        x[:, :, 2 * fold:] = g[:, :, 2 * fold:]
    else:
        x[:, :-1, :fold] = g[:, 1:, :fold]
        x[:, :, fold:] = g[:, :, fold:]
    return x.reshape(nt, c, h, w)


def temporal_shift_forward(x, num_segments, fold_div, mode):
    return shift(x, num_segments, fold_div, mode),


def temporal_shift_inplace_forward(x, num_segments, fold_div, mode):
    x.copy_(shift(x, num_segments, fold_div, mode))
    return ()


def temporal_shift_backward(grad, num_segments, fold_div, mode):
    return unshift(grad, num_segments, fold_div, mode),


def temporal_shift_inplace_backward(grad, num_segments, fold_div, mode):
    grad.copy_(unshift(grad, num_segments, fold_div, mode))
    return ()
