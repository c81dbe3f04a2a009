"""The op table: every tensor function of the C ABI (include/vidtemporal.h), declared once.

From this table ``tools/generate_glue.py`` writes the Swift ``@c`` thunks with their argument
types, checks and dtype dispatch (``Sources/VidTemporal/Generated/``), the CPython entry points
(``python/csrc/ops_generated.c``) and the Python glue that sizes and allocates the outputs
(``vidtemporal/_glue.py``); at run time ``vidtemporal.torch`` builds its custom ops, fake kernels
and autograd from it, and ``vidtemporal.torch.portable`` finds its modules by the ops' names.
Nothing else spells out an op's shapes.

A tensor's shape is a string of dims separated by spaces. A dim is a symbol (bound where it
first appears, checked everywhere else), an integer, or a product such as ``N*T`` (one factor
may be unknown: it is solved by exact division). ``...`` is any shape, bound whole; ``""`` is a
0-d tensor (one element). A scalar with ``symbol`` binds that symbol to its value; ``minimum``
is checked before anything else. Floating tensors share the call's dtype (one of ``dtypes``);
``dtype="int64"`` marks an index tensor. ``half`` says how a float16 or bfloat16 call runs:
"float32" (the default: the thunk widens the inputs into float32 scratch, runs the float32
kernels and rounds the outputs back), "kernel" (the op's own half-precision entry,
``<method>Half``, which widens block by block) or "bytes" (data movement: one entry serves every
dtype, moving elements' bytes). The thunk calls the op's entry ``<Op>.<method>(arguments, T.self)``
for the call's dtype (``T`` Float or Double; for "bytes" ``<Op>.<method>(arguments)``).
``channels_last``: the function's 4-d tensors may also be in NHWC memory (all of a call's in one
format), which its kernel reads.

Calling conventions the generators rely on: the C arguments are the stream handle (if any),
then the tensors in table order, then the scalars, then ``vt_error *``. A backward's inputs are
the gradients of the forward's differentiable outputs (``grad`` where there is one,
``grad_<output>`` each where there are several) plus forward inputs and outputs by name; its
outputs are ``grad_<input>``. One name per argument at every layer: the numpy functions and the
C header spell them as the table does.

This module imports nothing: the generator reads it without the package.
"""

FLOAT = ("float32", "float64", "float16", "bfloat16")


class Tensor:
    def __init__(self, name, shape, role, optional=False, dtype="float"):
        self.name, self.role, self.optional, self.dtype = name, role, optional, dtype
        self.shape = shape
        self.dims = None if shape == "..." else tuple(shape.split())

    @property
    def layout(self):
        """The shape as the messages print it: "(N*T, C, H, W)"."""
        if self.dims is None:
            return "(any shape)"
        if not self.dims:
            return "() (0-d, one element)"
        return "(" + ", ".join(self.dims) + ("," if len(self.dims) == 1 else "") + ")"


def In(name, shape, optional=False, dtype="float"):
    return Tensor(name, shape, "in", optional, dtype)


def Out(name, shape, optional=False, dtype="float"):
    return Tensor(name, shape, "out", optional, dtype)


def InOut(name, shape):
    return Tensor(name, shape, "inout")


class Scalar:
    def __init__(self, name, kind, minimum=None, symbol=None):
        self.name, self.kind, self.minimum, self.symbol = name, kind, minimum, symbol


def Int64(name, minimum=None, symbol=None):
    return Scalar(name, "int64", minimum, symbol)


def Int32(name):
    return Scalar(name, "int32")


def Bool(name):
    """An int32 flag in C (0 or not), a bool in Python."""
    return Scalar(name, "bool")


def Double(name):
    return Scalar(name, "double")


class Function:
    """One exported function, vt_<name>. ``handle`` names an opaque state argument (the stream)
    that comes first; ``creates`` names one that the function creates, returned through a last
    ``**out`` argument; ``derived`` maps a symbol to (function, its symbols): a size computed by
    another exported function of the op from those symbols, in that order (the DAM workspace, a
    sampled correlation's output height); a scalar that feeds one binds a symbol of its own."""

    def __init__(self, name, tensors, scalars=(), dtypes=FLOAT, handle=None, creates=None, derived=None,
                 half="float32", channels_last=False):
        assert half in ("float32", "kernel", "bytes"), f"{name}: half={half!r}"
        self.name, self.tensors, self.scalars, self.dtypes = name, list(tensors), list(scalars), tuple(dtypes)
        self.half, self.channels_last = half, channels_last
        self.handle, self.creates, self.derived = handle, creates, dict(derived or {})

    @property
    def inputs(self):
        return [t for t in self.tensors if t.role != "out"]

    @property
    def outputs(self):
        return [t for t in self.tensors if t.role == "out"]

    def tensor(self, name):
        return next((t for t in self.tensors if t.name == name), None)


class Op:
    """An op: its functions, and which of them are the forward and backward autograd pairs.
    ``linear``: the backward is the adjoint of the forward (one tensor in, one out), so each is
    the other's gradient (double backward). ``eager`` (every op with an autograd pair but the
    linear one, whose double backward needs the dispatcher): in eager torch, run the pair as an
    autograd.Function without the custom ops' dispatch (60-170 us a forward + backward, more than
    the whole of a small op such as dam_loss at the AVE shapes; the sweep's rows show it). ``autocast``:
    the op's policy under torch.autocast: "float32" (its floating inputs are cast to float32 and
    it returns float32, as torch does for softmax, norms and losses: every compute op here holds a
    softmax or a long accumulation) or "input" (it runs in its input's dtype: data movement)."""

    def __init__(self, name, functions, forward=None, backward=None, linear=False, autocast="float32"):
        self.name, self.functions = name, functions
        self.forward, self.backward, self.linear = forward, backward, linear
        self.eager = forward is not None and not linear
        self.autocast = autocast


SEGMENTS = Int64("num_segments", minimum=1, symbol="T")
VIDEO = "N*T C H W"
SHIFT = [SEGMENTS, Int64("fold_div", minimum=1), Int32("mode")]
INTERLACE = [SEGMENTS, Int64("shift_div", minimum=1)]
CORRELATION = [Int64("patch_size", minimum=1, symbol="P"), Int64("dilation_patch", minimum=1)]
# spatial-correlation-sampler's arguments, each axis's own: the window's kernel, stride, padding
# and dilation, the patch of displacements and its dilation. The output's size is the peer's.
SAMPLER = [Int64("kernel_h", minimum=0, symbol="KH"), Int64("kernel_w", minimum=0, symbol="KW"),
           Int64("patch_h", minimum=0, symbol="PH"), Int64("patch_w", minimum=0, symbol="PW"),
           Int64("stride_h", minimum=1, symbol="SH"), Int64("stride_w", minimum=1, symbol="SW"),
           Int64("padding_h", symbol="PADH"), Int64("padding_w", symbol="PADW"),
           Int64("dilation_h", minimum=1, symbol="DILH"), Int64("dilation_w", minimum=1, symbol="DILW"),
           Int64("dilation_patch_h"), Int64("dilation_patch_w")]
SAMPLED = {"OH": ("spatial_correlation_sample_output_size", ("H", "KH", "PADH", "DILH", "SH")),
           "OW": ("spatial_correlation_sample_output_size", ("W", "KW", "PADW", "DILW", "SW"))}
SOFT_ARGMAX = [Double("sigma"), Double("temperature")]
SQUEEZE = [SEGMENTS, Int64("patch_size", minimum=1), Double("sigma"), Double("temperature"), Bool("normalize")]
DAM_INPUTS = [In("audio", "N T D"), In("visual", "N T D"), In("mask", "N T"),
              In("wq_a", "D DK"), In("wk_a", "D DK"), In("wv_a", "D D"),
              In("wq_v", "D DK"), In("wk_v", "D DK"), In("wv_v", "D D")]
DAM_WORKSPACE = {"W": ("dual_attention_matching_workspace_count", ("N", "T", "D", "DK"))}

# The exported size functions derived dims come from, with their parameters as the header names them
# (a derived dim passes its symbols in this order).
SIZE_FUNCTIONS = {"dual_attention_matching_workspace_count": ("n", "t", "d", "dk"),
                  "spatial_correlation_sample_output_size": ("size", "kernel_size", "padding", "dilation", "stride")}


def gradients(tensors):
    """The optional gradient outputs of these inputs, same shapes."""
    return [Out("grad_" + t.name, t.shape, optional=True) for t in tensors]


OPS = [
    Op("temporal_shift", [
        Function("temporal_shift_forward", [In("x", VIDEO), Out("y", VIDEO)], SHIFT, half="bytes",
                 channels_last=True),
        Function("temporal_shift_backward", [In("grad", VIDEO), Out("grad_x", VIDEO)], SHIFT, half="bytes",
                 channels_last=True),
        Function("temporal_shift_inplace_forward", [InOut("x", VIDEO)], SHIFT, half="bytes",
                 channels_last=True),
        Function("temporal_shift_inplace_backward", [InOut("grad", VIDEO)], SHIFT, half="bytes",
                 channels_last=True),
    ], forward="temporal_shift_forward", backward="temporal_shift_backward", linear=True, autocast="input"),
    Op("temporal_shift_stream", [
        Function("temporal_shift_stream_create", [In("frame", "N C H W")], [Int64("fold_div", minimum=1)],
                 creates="stream", half="bytes", channels_last=True),
        Function("temporal_shift_stream_step", [In("frame", "N C H W"), Out("out", "N C H W")], handle="stream",
                 half="bytes", channels_last=True),
    ]),
    Op("temporal_interlace", [
        Function("temporal_interlace_forward",
                 [In("x", VIDEO), In("offsets", "N G"), In("weights", "N T G"), Out("y", VIDEO)], INTERLACE,
                 channels_last=True),
        Function("temporal_interlace_backward",
                 [In("grad", VIDEO), In("x", VIDEO), In("offsets", "N G"), In("weights", "N T G"),
                  *gradients([In("x", VIDEO), In("offsets", "N G"), In("weights", "N T G")])], INTERLACE,
                 channels_last=True),
    ], forward="temporal_interlace_forward", backward="temporal_interlace_backward"),
    Op("global_temporal_attention", [
        # Half precision block by block in the kernel (no float32 copies of whole tensors).
        Function("global_temporal_attention_forward",
                 [In("v", "N*T C S"), In("attn", "G G T T"), Out("y", "N*T C S")], [SEGMENTS], half="kernel"),
        Function("global_temporal_attention_backward",
                 [In("grad", "N*T C S"), In("v", "N*T C S"), In("attn", "G G T T"),
                  *gradients([In("v", "N*T C S"), In("attn", "G G T T")])], [SEGMENTS], half="kernel"),
    ], forward="global_temporal_attention_forward", backward="global_temporal_attention_backward"),
    Op("region_pool", [
        Function("region_pool_forward", [In("x", "B C S"), In("assign", "B K S"), Out("r", "B C K")],
                 [Bool("normalize")]),
        Function("region_pool_backward",
                 [In("grad", "B C K"), In("x", "B C S"), In("assign", "B K S"),
                  *gradients([In("x", "B C S"), In("assign", "B K S")])], [Bool("normalize")]),
    ], forward="region_pool_forward", backward="region_pool_backward"),
    Op("region_unpool", [
        Function("region_unpool_forward", [In("r", "B C K"), In("assign", "B K S"), Out("y", "B C S")]),
        Function("region_unpool_backward",
                 [In("grad", "B C S"), In("r", "B C K"), In("assign", "B K S"),
                  *gradients([In("r", "B C K"), In("assign", "B K S")])]),
    ], forward="region_unpool_forward", backward="region_unpool_backward"),
    Op("spatial_attention", [
        # Half precision frame by frame in the kernel (no float32 copies of whole tensors).
        Function("spatial_attention_forward",
                 [In("q", "B D S"), In("k", "B D S"), In("v", "B DV S"), Out("y", "B DV S"),
                  Out("lse", "B S", optional=True)], half="kernel"),
        Function("spatial_attention_backward",
                 [In("grad", "B DV S"), In("q", "B D S"), In("k", "B D S"), In("v", "B DV S"),
                  In("lse", "B S", optional=True),
                  *gradients([In("q", "B D S"), In("k", "B D S"), In("v", "B DV S")])], half="kernel"),
    ], forward="spatial_attention_forward", backward="spatial_attention_backward"),
    Op("dual_attention_matching", [
        Function("dual_attention_matching_forward",
                 [*DAM_INPUTS, Out("p", "N T"), Out("p_audio", "N T"), Out("p_visual", "N T"),
                  Out("global_audio", "N D"), Out("global_visual", "N D"), Out("workspace", "W", optional=True)],
                 derived=DAM_WORKSPACE),
        Function("dual_attention_matching_backward",
                 [In("grad_p", "N T", optional=True), In("grad_p_audio", "N T", optional=True),
                  In("grad_p_visual", "N T", optional=True), In("grad_global_audio", "N D", optional=True),
                  In("grad_global_visual", "N D", optional=True), *DAM_INPUTS, In("workspace", "W", optional=True),
                  *gradients([t for t in DAM_INPUTS if t.name != "mask"])],
                 derived=DAM_WORKSPACE),
    ], forward="dual_attention_matching_forward", backward="dual_attention_matching_backward"),
    Op("dam_loss", [
        Function("dam_loss_forward", [In("p", "..."), In("labels", "..."), Out("loss", "")]),
        Function("dam_loss_backward",
                 [In("grad", ""), In("p", "..."), In("labels", "..."),
                  *gradients([In("p", "..."), In("labels", "...")])]),
    ], forward="dam_loss_forward", backward="dam_loss_backward"),
    Op("cml_localize", [
        Function("cml_localize",
                 [In("query_global", "N D"), In("other_local", "N T D"), Out("start", "N", dtype="int64")],
                 [Int64("length", minimum=1)]),
    ]),
    Op("correlation", [
        # Half precision read and written by the float32 tiles themselves.
        Function("correlation_forward", [In("f1", "B C H W"), In("f2", "B C H W"), Out("out", "B P P H W")],
                 CORRELATION, half="kernel"),
        Function("correlation_backward",
                 [In("grad", "B P P H W"), In("f1", "B C H W"), In("f2", "B C H W"),
                  *gradients([In("f1", "B C H W"), In("f2", "B C H W")])], CORRELATION),
    ], forward="correlation_forward", backward="correlation_backward"),
    Op("spatial_correlation_sample", [
        # Half precision: the correlation's tiles read it in the kernel-1 case, float32 copies otherwise.
        Function("spatial_correlation_sample_forward",
                 [In("input1", "B C H W"), In("input2", "B C H W"), Out("out", "B PH PW OH OW")], SAMPLER,
                 derived=SAMPLED, half="kernel"),
        Function("spatial_correlation_sample_backward",
                 [In("grad", "B PH PW OH OW"), In("input1", "B C H W"), In("input2", "B C H W"),
                  *gradients([In("input1", "B C H W"), In("input2", "B C H W")])], SAMPLER, derived=SAMPLED),
    ], forward="spatial_correlation_sample_forward", backward="spatial_correlation_sample_backward"),
    Op("kernel_soft_argmax", [
        Function("kernel_soft_argmax_forward",
                 [In("corr", "B P P H W"), Out("displacement", "B 2 H W"), Out("confidence", "B 1 H W")],
                 SOFT_ARGMAX),
        Function("kernel_soft_argmax_backward",
                 [In("grad_displacement", "B 2 H W", optional=True), In("grad_confidence", "B 1 H W", optional=True),
                  In("corr", "B P P H W"), Out("grad_corr", "B P P H W")], SOFT_ARGMAX),
    ], forward="kernel_soft_argmax_forward", backward="kernel_soft_argmax_backward"),
    Op("motion_squeeze", [
        Function("motion_squeeze_forward", [In("x", VIDEO), Out("out", "N*T 3 H W")], SQUEEZE),
        Function("motion_squeeze_backward", [In("grad", "N*T 3 H W"), In("x", VIDEO), Out("grad_x", VIDEO)],
                 SQUEEZE),
    ], forward="motion_squeeze_forward", backward="motion_squeeze_backward"),
]

FUNCTIONS = {f.name: f for op in OPS for f in op.functions}


def output_gradients(forward, backward):
    """{name of a backward input: the forward output it is the gradient of}: ``grad`` is the
    gradient of the forward's first output, ``grad_<output>`` that output's."""
    outputs = [t.name for t in FUNCTIONS[forward].outputs]
    return {t.name: outputs[0] if t.name == "grad" else t.name[5:] for t in FUNCTIONS[backward].inputs
            if t.name == "grad" or (t.name.startswith("grad_") and t.name[5:] in outputs)}
