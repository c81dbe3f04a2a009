"""Fuzz test of the public Python API, both layers: every function, class and module of
``vidtemporal`` and ``vidtemporal.torch``, called from a valid call with each argument in turn
replaced by a wrong value (types, out-of-range numbers, wrong ranks, dtypes, layouts, devices,
read-only and in-use tensors), then with random pairs of them (fixed seed). Every call must return
or raise TypeError or ValueError (MemoryError for sizes too large to allocate) whose message
starts with the name the user called (with a warning counted as a failure); a call on finite inputs that returns gives finite results; an
in-place call that raises leaves its tensor unchanged. Runs without torch for the numpy layer."""
import math
import random
import warnings

import numpy as np
import pytest

import vidtemporal as vt

try:
    import torch
    import vidtemporal.torch as vtt
except ImportError:  # the numpy-only install
    torch = vtt = None

rng = np.random.default_rng(0)


def a(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype(np.float32)


def mask(*shape):
    return (rng.random(shape) < 0.6).astype(np.float32)


# A valid call of every numpy-level function: (positional arguments, keyword arguments). Shapes
# are small; the arrays are built once and copied for each call.
N, T, D, DK = 2, 3, 4, 2
NUMPY_CALLS = {
    "temporal_shift": ((a(4, 8, 2, 2), 2), dict(fold_div=4, mode="bidirectional")),
    "temporal_shift_backward": ((a(4, 8, 2, 2), a(4, 8, 2, 2), 2), dict(fold_div=4, mode="unidirectional")),
    "temporal_shift_": ((a(4, 8, 2, 2), 2), dict(fold_div=4, mode="bidirectional")),
    "temporal_interlace": ((a(4, 8, 2, 2), a(2, 1), a(2, 2, 1), 2), dict(shift_div=4, groups=None)),
    "temporal_interlace_backward": ((a(4, 8, 2, 2), a(4, 8, 2, 2), a(2, 1), a(2, 2, 1), 2), dict(shift_div=4)),
    "global_temporal_attention": ((a(4, 4, 3), a(2, 2, 2, 2), 2), dict(groups=None)),
    "global_temporal_attention_backward": ((a(4, 4, 3), a(4, 4, 3), a(2, 2, 2, 2), 2), dict(groups=2)),
    "region_pool": ((a(2, 3, 4), a(2, 2, 4)), dict(normalize=True)),
    "region_pool_backward": ((a(2, 3, 2), a(2, 3, 4), a(2, 2, 4)), dict(normalize=False)),
    "region_unpool": ((a(2, 3, 2), a(2, 2, 4)), {}),
    "region_unpool_backward": ((a(2, 3, 4), a(2, 3, 2), a(2, 2, 4)), {}),
    "spatial_attention": ((a(2, 3, 5), a(2, 3, 5), a(2, 2, 5)), {}),
    "spatial_attention_backward": ((a(2, 2, 5), a(2, 3, 5), a(2, 3, 5), a(2, 2, 5)), {}),
    "correlation": ((a(1, 2, 4, 5), a(1, 2, 4, 5)), dict(patch_size=3, dilation_patch=1)),
    "correlation_backward": ((a(1, 3, 3, 4, 5), a(1, 2, 4, 5), a(1, 2, 4, 5)), dict(patch_size=3, dilation_patch=2)),
    "spatial_correlation_sample": ((a(1, 2, 4, 5), a(1, 2, 4, 5)),
                                   dict(kernel_size=3, patch_size=(2, 3), stride=2, padding=1, dilation=1,
                                        dilation_patch=2)),
    "spatial_correlation_sample_backward": ((a(1, 2, 3, 2, 3), a(1, 2, 4, 5), a(1, 2, 4, 5)),
                                            dict(kernel_size=3, patch_size=(2, 3), stride=2, padding=1)),
    "kernel_soft_argmax": ((a(1, 3, 3, 2, 2),), dict(sigma=5.0, temperature=100.0)),
    "kernel_soft_argmax_backward": ((a(1, 2, 2, 2), a(1, 1, 2, 2), a(1, 3, 3, 2, 2)), dict(sigma=2.0, temperature=10.0)),
    "motion_squeeze": ((a(4, 3, 3, 3), 2), dict(patch_size=3, sigma=5.0, temperature=100.0, normalize=True)),
    "motion_squeeze_backward": ((a(4, 3, 3, 3), a(4, 3, 3, 3), 2), dict(patch_size=3, normalize=False)),
    "dual_attention_matching": ((a(N, T, D), a(N, T, D), mask(N, T), a(D, DK), a(D, DK), a(D, D), a(D, DK), a(D, DK),
                                 a(D, D)), {}),
    "dual_attention_matching_backward": ((a(N, T), None, a(N, T), None, a(N, D), a(N, T, D), a(N, T, D), mask(N, T),
                                          a(D, DK), a(D, DK), a(D, D), a(D, DK), a(D, DK), a(D, D)), {}),
    "dam_loss": ((a(2, 3, low=0.05, high=0.95), mask(2, 3)), {}),
    "dam_loss_backward": ((np.float32(1.0), a(2, 3, low=0.05, high=0.95), mask(2, 3)), {}),
    "cml_localize": ((a(2, 4), a(2, 5, 4), 2), {}),
    "set_num_threads": ((0,), {}),
    "TemporalShiftStream": ((), dict(fold_div=4)),
    "TemporalShiftStream.step": ((a(2, 8, 2, 2),), {}),
}

# The torch level's functions take the same arguments as tensors (no _backward functions).
TORCH_FUNCTIONS = ["temporal_shift", "temporal_shift_", "temporal_interlace", "global_temporal_attention",
                   "region_pool", "region_unpool", "spatial_attention", "correlation",
                   "spatial_correlation_sample", "kernel_soft_argmax",
                   "motion_squeeze", "dual_attention_matching", "dam_loss", "cml_localize",
                   "TemporalShiftStream", "TemporalShiftStream.step"]

# Module constructors and their forward calls (by class name; "Class()" constructs it from the
# keyword arguments, "Class.forward" calls a valid instance).
MODULE_CALLS = {
    "TemporalShift": ((), dict(net=None, num_segments=2, fold_div=4, mode="bidirectional", inplace=False)),
    "TemporalShift.forward": ((a(4, 8, 2, 2),), {}),
    "TemporalInterlace": ((8, 2), dict(shift_div=4, groups=1)),
    "TemporalInterlace.forward": ((a(4, 8, 2, 2),), {}),
    "GlobalTemporalAttention": ((8, 2), dict(groups=2, regions=2)),
    "GlobalTemporalAttention.forward": ((a(4, 8, 3, 3),), {}),
    "MotionSqueeze": ((4, 2), dict(reduced=4, patch_size=3, sigma=5.0, temperature=100.0)),
    "MotionSqueeze.forward": ((a(4, 4, 5, 5),), {}),
    "DualAttentionMatching": ((), dict(audio_dim=6, visual_dim=5, dim=D, key_dim=DK, num_classes=3)),
    "DualAttentionMatching.forward": ((a(N, T, 6), a(N, T, 5), mask(N, T)), {}),
    "SpatialCorrelationSampler": ((), dict(kernel_size=3, patch_size=(2, 3), stride=2, padding=1, dilation=1,
                                           dilation_patch=2)),
    "SpatialCorrelationSampler.forward": ((a(1, 2, 4, 5), a(1, 2, 4, 5)), {}),
}


def numpy_bad_values(value):
    """Wrong values for an argument whose valid value is `value`."""
    bad = [None, "abc", b"x", 2 ** 63, -2 ** 63 - 1, 2 ** 64, 2 ** 31 + 1, -1, 0, 1.5, math.nan, math.inf, -math.inf, 1j, [], [1, 2],
           {}, object(), True, np.array([1, 2]), np.float64(2.0), np.int64(3), np.complex64(1j)]
    if isinstance(value, np.ndarray):
        bad += [value.astype(np.float64), value.astype(np.int32), value.astype(np.float16), value.astype(np.complex64),
                value.astype(bool), value.reshape(-1), value[None], np.asfortranarray(value), value[..., ::2],
                value.copy(), np.zeros((0,) + value.shape[1:], value.dtype), value.tolist(), np.full_like(value, np.nan)]
        readonly = value.copy()
        readonly.flags.writeable = False
        bad.append(readonly)
        if value.ndim >= 2:
            bad.append(value.swapaxes(0, 1))
        if torch is not None:
            bad.append(torch.from_numpy(value.copy()))
    return bad


def torch_bad_values(value):
    bad = [v for v in numpy_bad_values(value.numpy() if isinstance(value, torch.Tensor) else value)
           if not isinstance(v, torch.Tensor)]
    if isinstance(value, torch.Tensor):
        bad += [value.double(), value.to(torch.bfloat16), value.to(torch.float16), value.int(), value.to(torch.complex64),
                value.to("meta"), value.detach().requires_grad_(), value.reshape(-1), value[None], value.flip(0),
                value.new_empty((0,) + value.shape[1:]), torch.full_like(value, math.nan)]
        if value.ndim == 4:
            bad.append(value.contiguous(memory_format=torch.channels_last))
        if value.ndim >= 2:
            bad.append(value.transpose(0, 1))
    return bad


def copied(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    return value


def finite(value):
    if isinstance(value, (tuple, list)):
        return all(finite(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return bool(np.isfinite(value).all())
    if torch is not None and isinstance(value, torch.Tensor) and value.is_floating_point() and value.device.type != "meta":
        return bool(torch.isfinite(value).all())
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def accepted_error(error, name):
    """Whether `error` is what the API promises: TypeError or ValueError naming the callable (or,
    from a module's forward, naming the op of the library that refused its input)."""
    public = name.split(".")[0]
    names = (name + ":", public + ":", public + ".")
    if name.endswith(".forward"):
        names += tuple(op + ":" for op in NUMPY_CALLS)
    # (A MemoryError naming the callable is also a clear answer: sizes too large to allocate.)
    return isinstance(error, (TypeError, ValueError, MemoryError)) and str(error).startswith(names)


class Case:
    """One call: a callable (made fresh per call where it is an object) and its arguments."""

    def __init__(self, name, target, args, kwargs, inplace_index=None):
        self.name, self.target, self.args, self.kwargs, self.inplace_index = name, target, args, kwargs, inplace_index

    def usable(self, values):
        """A module built with a size of 2^31 is valid, only enormous (minutes to initialise):
        constructors get the sizes that must be refused, not those."""
        if self.name[:1].isupper() and "." not in self.name:
            return [v for v in values if not (isinstance(v, int) and 2 ** 20 < v < 2 ** 63)]
        return values

    def slots(self):
        return [("arg", i) for i in range(len(self.args))] + [("kw", k) for k in self.kwargs]

    def call(self, replacements):
        args, kwargs = [copied(v) for v in self.args], {k: copied(v) for k, v in self.kwargs.items()}
        for (kind, key), value in replacements:
            if kind == "arg":
                args[key] = value
            else:
                kwargs[key] = value
        watched = args[self.inplace_index] if self.inplace_index is not None else None
        before = copied(watched)
        inputs_finite = finite(args) and finite(list(kwargs.values()))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                result = self.target()(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - the test classifies every exception
                problems = [] if accepted_error(error, self.name) else [f"{type(error).__name__}: {error}"]
                if watched is not None and hasattr(watched, "shape") and not same(watched, before):
                    problems.append("changed its in-place argument, then raised")
                return problems
        if inputs_finite and not finite(result):
            return ["returned non-finite values for finite inputs"]
        return []


def same(x, y):
    if isinstance(x, np.ndarray):
        return isinstance(y, np.ndarray) and x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
    if torch is not None and isinstance(x, torch.Tensor):
        return (isinstance(y, torch.Tensor) and x.shape == y.shape and x.device == y.device
                and (x.device.type == "meta" or torch.equal(torch.nan_to_num(x.detach()), torch.nan_to_num(y.detach()))))
    return True


def numpy_cases():
    cases = []
    for name, (args, kwargs) in NUMPY_CALLS.items():
        if name == "TemporalShiftStream.step":
            target = lambda: vt.TemporalShiftStream(fold_div=4).step  # noqa: E731
        else:
            target = (lambda f: lambda: f)(getattr(vt, name))
        cases.append(Case(name, target, args, kwargs, inplace_index=0 if name == "temporal_shift_" else None))
    return cases


def to_torch(value):
    return torch.from_numpy(value.copy()) if isinstance(value, np.ndarray) else value


def torch_cases():
    cases = []
    for name in TORCH_FUNCTIONS:
        args, kwargs = NUMPY_CALLS[name]
        args, kwargs = [to_torch(v) for v in args], {k: to_torch(v) for k, v in kwargs.items()}
        if name == "TemporalShiftStream.step":
            target = lambda: vtt.TemporalShiftStream(fold_div=4).step  # noqa: E731
        else:
            target = (lambda f: lambda: f)(getattr(vtt, name))
        cases.append(Case("vidtemporal.torch." + name if False else name, target, args, kwargs,
                          inplace_index=0 if name == "temporal_shift_" else None))
    for name, (args, kwargs) in MODULE_CALLS.items():
        args, kwargs = [to_torch(v) for v in args], {k: to_torch(v) for k, v in kwargs.items()}
        if name.endswith(".forward"):
            cls = name.split(".")[0]
            ctor_args, ctor_kwargs = MODULE_CALLS[cls]
            target = (lambda c, ca, ck: lambda: getattr(vtt, c)(*ca, **ck))(cls, ctor_args, ctor_kwargs)
        else:
            target = (lambda c: lambda: getattr(vtt, c))(name)
        cases.append(Case(name, target, args, kwargs))
    return cases


def run_cases(cases, bad_values, pairs=400, seed=1):
    failures, calls = [], 0
    for case in cases:
        problems = case.call([])
        calls += 1
        assert not problems, f"{case.name}: the valid call failed: {problems}"
        slots = case.slots()
        for slot in slots:
            valid = case.args[slot[1]] if slot[0] == "arg" else case.kwargs[slot[1]]
            for value in case.usable(bad_values(valid)):
                calls += 1
                for problem in case.call([(slot, value)]):
                    failures.append(f"{case.name}({slot[1]}={short(value)}): {problem}")
        # Random pairs of wrong values.
        choose = random.Random(f"{seed}{case.name}")
        for _ in range(pairs // len(cases) + 1):
            if len(slots) < 2:
                break
            chosen = choose.sample(slots, 2)
            replacements = []
            for slot in chosen:
                valid = case.args[slot[1]] if slot[0] == "arg" else case.kwargs[slot[1]]
                replacements.append((slot, choose.choice(case.usable(bad_values(valid)))))
            calls += 1
            for problem in case.call(replacements):
                failures.append(f"{case.name}({', '.join(f'{s[1]}={short(v)}' for s, v in replacements)}): {problem}")
    return calls, failures


def short(value):
    if isinstance(value, np.ndarray):
        return f"ndarray{value.shape}:{value.dtype}" + ("" if value.flags.c_contiguous else ":strided")
    if torch is not None and isinstance(value, torch.Tensor):
        return f"tensor{tuple(value.shape)}:{value.dtype}:{value.device.type}"
    text = repr(value)
    return text if len(text) < 40 else text[:37] + "..."


def report(calls, failures):
    assert not failures, f"{len(failures)} of {calls} calls broke the API's promise:\n" + "\n".join(failures[:60])


def test_numpy_layer_keeps_its_promises():
    report(*run_cases(numpy_cases(), numpy_bad_values))


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_torch_layer_keeps_its_promises():
    report(*run_cases(torch_cases(), torch_bad_values))
