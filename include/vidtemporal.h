/*
 * vidtemporal.h — the C ABI of libvidtemporal: CPU kernels for the temporal modules of video
 * networks, each with a forward and a backward.
 *
 * Conventions (every function below follows them):
 *
 *  - Tensors are DLPack DLTensors (<dlpack/dlpack.h>: Debian's libdlpack-dev, or any DLPack
 *    0.6 to 1.x header; the DLTensor layout is the same in all of them). The library reads
 *    data + byte_offset, the device, the dtype, ndim, the shape and the strides (NULL means
 *    compact row-major). Inputs are `const DLTensor *`, outputs `DLTensor *`. One function per
 *    op and direction serves every dtype: the dtype is data. vt_tensor() below builds a
 *    DLTensor over a plain C array.
 *  - The library checks every tensor of a call once, before anything is written: the device
 *    (kDLCPU; any other is VT_ERR_UNSUPPORTED), the dtype (each function lists the ones it
 *    serves; every floating tensor of a call has the same one; others are VT_ERR_UNSUPPORTED),
 *    ndim and every shape relation between the call's tensors (VT_ERR_SHAPE_MISMATCH, naming
 *    both tensors), the strides (compact row-major, or the same with any stride on dims of
 *    size 1; the temporal shift, its stream and the temporal interlace also read channels_last,
 *    one format per call; others are VT_ERR_UNSUPPORTED),
 *    alignment of data + byte_offset to the element size (VT_ERR_UNSUPPORTED), overflow of any size (VT_ERR_SHAPE_MISMATCH), and overlap of
 *    any output with any input or another output (VT_ERR_SHAPE_MISMATCH).
 *  - Shapes below are written with symbols: (N*T, C, H, W) means a 4-d tensor whose first dim
 *    is N * T, where T = num_segments; a symbol that appears twice must have the same value.
 *    Video tensors use the 2D-backbone layout (N*T, C, H, W): row n*T + t is frame t of clip n.
 *    Zero-sized dims are legal and give empty results.
 *  - A required tensor argument must not be NULL (VT_ERR_NULL_POINTER); an optional one (an
 *    output nobody needs, a workspace) may be NULL, and is then not computed or not used. A
 *    tensor's data may be NULL only when it has no elements.
 *  - Every function returns an int32_t status: VT_OK (0) or one of the VT_ERR_* codes. The last
 *    argument is an optional, caller-owned vt_error*; when it is not NULL it receives the status,
 *    the offending argument's name and a message naming the function and it. Nothing aborts or exits on
 *    anything a caller can get wrong.
 *  - Destination passing: the caller allocates every output and gradient. On any error status
 *    nothing has been written to any output. The only objects allocated inside the library are
 *    opaque state objects with explicit create/free (the streaming cache).
 *  - Floating dtypes: every function serves float32, float64, float16 and bfloat16 (the same
 *    one for all floating tensors of a call). Data movement (the temporal shift, in place, the
 *    stream) moves the elements' bytes: exact at every width. The other functions load float16
 *    and bfloat16 as float32, compute as for a float32 call (accumulating in float32 or wider)
 *    and round each result to the nearest even float16 / bfloat16: GTA mixing, spatial attention
 *    and the correlation forward widen block by block (a column block, a frame, the rows a tile
 *    reads), the others in float32 scratch the size of the call's tensors (VT_ERR_ALLOCATION if
 *    it cannot be had).
 *  - Threads: functions are reentrant and may be called concurrently from several threads.
 *    Each call splits its work over up to vt_get_num_threads() threads; results are identical
 *    for any thread count.
 *
 * Build: cc prog.c $(pkg-config --cflags --libs vidtemporal); the DLPack header is a build
 * dependency (apt-get install libdlpack-dev).
 */
#ifndef VIDTEMPORAL_H
#define VIDTEMPORAL_H

#include <dlpack/dlpack.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Library, status codes, errors, threads
 * ------------------------------------------------------------------------------------------ */

/* Bumped whenever a signature or a struct below changes incompatibly (3: vt_error's argument). */
#define VT_ABI_VERSION 3

/* The library version; vt_version_string() returns the same text. */
#define VT_VERSION "0.1.0"

enum {
    VT_OK = 0,
    VT_ERR_NULL_POINTER = 1,     /* a required pointer was NULL */
    VT_ERR_INVALID_ARGUMENT = 2, /* a scalar argument is out of range (bad mode, ...) */
    VT_ERR_SHAPE_MISMATCH = 3,   /* dims inconsistent with each other or with the op's rules */
    VT_ERR_UNSUPPORTED = 4,      /* a valid request this build cannot serve (dtype, device, strides) */
    VT_ERR_ALLOCATION = 5,       /* memory could not be allocated */
    VT_ERR_INTERNAL = 6          /* a bug in the library: please report it */
};

#define VT_ERROR_MESSAGE_SIZE 256
#define VT_ERROR_ARGUMENT_SIZE 32

/* Passed as a call's last argument (or NULL): receives the call's status, and on failure the
 * argument at fault as data, and a message naming the function and that argument, "vt_<fn>:
 * <what is wrong>" (both empty on success). */
typedef struct vt_error {
    int32_t status;
    char message[VT_ERROR_MESSAGE_SIZE];
    /* The parameter at fault, as this header names it ("x", "num_segments", ...); "" when the
     * error is about no one argument (an allocation failure, the library itself). */
    char argument[VT_ERROR_ARGUMENT_SIZE];
} vt_error;

/* The ABI this library implements (VT_ABI_VERSION it was built with). */
int32_t vt_abi_version(void);

/* The library version, e.g. "0.1.0". Static storage; never NULL. */
const char *vt_version_string(void);

/* A short constant description of a status code ("ok", "null pointer", ...). Never NULL. */
const char *vt_status_string(int32_t status);

/* The kernel build that runs: "x86-64-v4" (AVX-512 F, CD, BW, DQ, VL; Skylake-X, Ice Lake,
 * Sapphire Rapids, Zen 4 and newer), "x86-64-v3" (AVX2, FMA, F16C; Haswell, Zen and newer) or
 * "x86-64" (the baseline, any x86-64 CPU) on x86-64, chosen once at load time from cpuid, VT_CPU
 * in the environment capping it ("baseline", "x86-64-v3", "x86-64-v4"); elsewhere the
 * architecture ("arm64", ...). Static storage; never NULL. */
const char *vt_cpu_dispatch(void);

/* The most threads a call uses; a larger request (or more online CPUs) is capped here. */
#define VT_MAX_THREADS 1024

/* Sets the number of threads each call may use. n >= 1, or n = 0 for the default (the number
 * of online CPUs); both capped at VT_MAX_THREADS. Affects calls that start after it returns.
 * n < 0 is VT_ERR_INVALID_ARGUMENT. */
int32_t vt_set_num_threads(int32_t n, vt_error *err);

/* The number of threads each call may use (1 to VT_MAX_THREADS). */
int32_t vt_get_num_threads(void);

/* The BLAS behind the GEMM-shaped ops (GTA mixing, region pooling, spatial attention, DAM), and
 * the kernel set it chose for this CPU when it loaded. */
typedef struct {
    char name[32];    /* "OpenBLAS" (the scipy-openblas32 build beside the library), "Accelerate" */
    char version[32]; /* e.g. "0.3.34.481.3"; "" where the BLAS does not say */
    char core[32];    /* the kernel set, e.g. "SkylakeX" (AVX-512), "Haswell" (AVX2), "Prescott"
                       * (generic SSE3); OPENBLAS_CORETYPE in the environment, set before the
                       * library loads, forces one; "" where the BLAS does not say */
    int32_t threads;  /* threads one BLAS call uses: 1, since each op splits its own work over
                       * vt_get_num_threads() threads */
} vt_blas_info;

/* Fills *info. info NULL is VT_ERR_NULL_POINTER. */
int32_t vt_get_blas_info(vt_blas_info *info, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Tensors: a DLTensor over a plain C array
 *
 *     float x[2 * 8 * 16 * 7 * 7];
 *     int64_t shape[4] = {2 * 8, 16, 7, 7};
 *     DLTensor t = vt_tensor(x, VT_FLOAT32, 4, shape);   (compact row-major, on the CPU)
 *
 * The shape array must outlive every call that uses the tensor.
 * ------------------------------------------------------------------------------------------ */

#define VT_FLOAT32 ((DLDataType){kDLFloat, 32, 1})
#define VT_FLOAT64 ((DLDataType){kDLFloat, 64, 1})
#define VT_FLOAT16 ((DLDataType){kDLFloat, 16, 1})
#define VT_BFLOAT16 ((DLDataType){kDLBfloat, 16, 1})
#define VT_INT64 ((DLDataType){kDLInt, 64, 1})

static inline DLTensor vt_tensor(void *data, DLDataType dtype, int32_t ndim, int64_t *shape) {
    DLTensor tensor = {0};
    tensor.data = data;
    tensor.device.device_type = kDLCPU;
    tensor.device.device_id = 0;
    tensor.ndim = ndim;
    tensor.dtype = dtype;
    tensor.shape = shape;
    tensor.strides = NULL;
    tensor.byte_offset = 0;
    return tensor;
}

/* ---------------------------------------------------------------------------------------------
 * Temporal shift (TSM, Lin et al. ICCV 2019)
 *
 * x, y: (N*T, C, H, W), T = num_segments. fold = C / fold_div (floor; fold = 0 makes the op a
 * copy). Frames outside the clip are zeros. Every floating dtype (pure data movement: exact).
 * Memory: row-major (NCHW) or channels_last (NHWC: strides (H*W*C, 1, W*C, C)), read natively;
 * x and y (and the in-place x) share one format, else VT_ERR_UNSUPPORTED.
 *
 *  VT_SHIFT_BIDIRECTIONAL (offline; the official code's direction, which released checkpoints
 *  expect): channels [0, fold) take the NEXT frame, y[t] = x[t+1], y[T-1] = 0; channels
 *  [fold, 2*fold) take the PREVIOUS frame, y[t] = x[t-1], y[0] = 0; the rest are copied.
 *
 *  VT_SHIFT_UNIDIRECTIONAL (online TSM): channels [0, fold) take the PREVIOUS frame,
 *  y[t] = x[t-1], y[0] = 0; the rest are copied. Equals running the stream below over the clip.
 *
 * Errors: num_segments < 1, fold_div < 1, unknown mode (VT_ERR_INVALID_ARGUMENT); N*T not a
 * multiple of num_segments, y's shape not x's, overflowing sizes, y overlapping x
 * (VT_ERR_SHAPE_MISMATCH).
 * ------------------------------------------------------------------------------------------ */

enum {
    VT_SHIFT_BIDIRECTIONAL = 0,
    VT_SHIFT_UNIDIRECTIONAL = 1
};

/* y = shift(x). */
int32_t vt_temporal_shift_forward(const DLTensor *x, DLTensor *y, int64_t num_segments, int64_t fold_div,
                                  int32_t mode, vt_error *err);

/* grad_x = shift^T(grad): the reverse shift with zero fill (the exact adjoint). */
int32_t vt_temporal_shift_backward(const DLTensor *grad, DLTensor *grad_x, int64_t num_segments,
                                   int64_t fold_div, int32_t mode, vt_error *err);

/* In place: x = shift(x), moving only the shifted channels. Bit-identical to the forward. */
int32_t vt_temporal_shift_inplace_forward(DLTensor *x, int64_t num_segments, int64_t fold_div, int32_t mode,
                                          vt_error *err);

/* In place: grad = shift^T(grad). Bit-identical to the backward. */
int32_t vt_temporal_shift_inplace_backward(DLTensor *grad, int64_t num_segments, int64_t fold_div, int32_t mode,
                                           vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Temporal shift, streaming (online TSM for live video, one frame at a time)
 *
 * The state holds a cache of shape (N, fold, H, W), fold = C / fold_div, zeros at start. A step
 * takes the current frame (N, C, H, W) and writes to out the frame with channels [0, fold)
 * replaced by the cache, then stores the frame's channels [0, fold) as the new cache. Running
 * T steps over a clip equals VT_SHIFT_UNIDIRECTIONAL on that clip, exactly.
 *
 * A state is created for one frame shape and one dtype; stepping it with another shape is
 * VT_ERR_SHAPE_MISMATCH, with another dtype VT_ERR_UNSUPPORTED. Frames may be row-major or
 * channels_last (frame and out in one format; the cache follows the frames' format, converted
 * once when it changes). One state must not be used from two threads at once.
 *
 * Errors: create: fold_div < 1 (VT_ERR_INVALID_ARGUMENT); a dtype that is not a floating one
 * (VT_ERR_UNSUPPORTED); frame not 4-d, overflowing sizes (VT_ERR_SHAPE_MISMATCH); out NULL
 * (VT_ERR_NULL_POINTER); the cache cannot be allocated (VT_ERR_ALLOCATION). step: NULL stream
 * or tensor (VT_ERR_NULL_POINTER); a frame shape other than the stream's, or out overlapping
 * frame (VT_ERR_SHAPE_MISMATCH); another dtype (VT_ERR_UNSUPPORTED). reset: NULL stream
 * (VT_ERR_NULL_POINTER).
 * ------------------------------------------------------------------------------------------ */

typedef struct vt_temporal_shift_stream vt_temporal_shift_stream;

/* Creates a stream for frames shaped and typed like `frame` (N, C, H, W) (a first frame, say;
 * its elements are not read); *out receives it. */
int32_t vt_temporal_shift_stream_create(const DLTensor *frame, int64_t fold_div, vt_temporal_shift_stream **out,
                                        vt_error *err);

/* One step. frame, out: (N, C, H, W), the stream's shape and dtype. */
int32_t vt_temporal_shift_stream_step(vt_temporal_shift_stream *stream, const DLTensor *frame, DLTensor *out,
                                      vt_error *err);

/* Zeros the cache: the next step is treated as the first frame of a new clip. */
int32_t vt_temporal_shift_stream_reset(vt_temporal_shift_stream *stream, vt_error *err);

/* Frees a stream. NULL is a no-op. */
void vt_temporal_shift_stream_free(vt_temporal_shift_stream *stream);

/* ---------------------------------------------------------------------------------------------
 * Temporal interlace (TIN, Shao et al. AAAI 2020)
 *
 * x, y: (N*T, C, H, W), T = num_segments; offsets: (N, G); weights: (N, T, G). The first
 * F = C / shift_div channels (F must split into 2 * G equal parts) are interlaced, the rest
 * copied. Part q of them (0 <= q < 2G) uses the shift s = offsets[n, q mod G] for q < G and
 * s = -offsets[n, q mod G] for q >= G (the reversed parts), and the weight group g = q mod G.
 * With k = floor(s), a = s - k:
 *
 *     y[n,t,c] = weights[n,t,g] * ((1-a) * x[n,t-k,c] + a * x[n,t-k-1,c]),
 *
 * zeros outside [0, T). A positive offset samples from the past. Every floating dtype.
 *
 * Backward: grad_x is the exact adjoint in x; grad_offsets flows through a only (floor is a
 * constant, so at an integer s it is the right-sided derivative in s); grad_weights[n,t,g] sums
 * grad * (the interpolated x) over the parts of group g. Any of grad_x, grad_offsets,
 * grad_weights may be NULL: that gradient is then not computed.
 *
 * Errors: num_segments < 1, shift_div < 1, G = 0 with F > 0, a NaN or infinite offset
 * (VT_ERR_INVALID_ARGUMENT); F not divisible by 2 * G, the shape rules above, overflowing
 * sizes, outputs overlapping inputs (VT_ERR_SHAPE_MISMATCH).
 * ------------------------------------------------------------------------------------------ */

int32_t vt_temporal_interlace_forward(const DLTensor *x, const DLTensor *offsets, const DLTensor *weights,
                                      DLTensor *y, int64_t num_segments, int64_t shift_div, vt_error *err);

int32_t vt_temporal_interlace_backward(const DLTensor *grad, const DLTensor *x, const DLTensor *offsets,
                                       const DLTensor *weights, DLTensor *grad_x, DLTensor *grad_offsets,
                                       DLTensor *grad_weights, int64_t num_segments, int64_t shift_div,
                                       vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Global temporal attention (GTA, He et al. BMVC 2021; no official code exists, this follows
 * the paper's eqs. 5-8): cross-channel multi-head temporal mixing with a learned matrix.
 *
 * v, y: (N*T, C, S), T = num_segments, any spatial layout flattened to S (pixels or regions);
 * attn: (G, G, T, T) indexed [out_group, in_group, t_out, t_in]; C % G == 0, Cg = C / G:
 *
 *     y[n,t, k*Cg + c, s] = Σ_g Σ_τ attn[k, g, t, τ] * v[n,τ, g*Cg + c, s]
 *
 * attn is used raw (no softmax). G = 1 is plain global temporal attention y[t] = Σ_τ M[t,τ] v[τ].
 * Backward: grad_v (the adjoint) and grad_attn = Σ over clips, channels and positions; either
 * may be NULL (not computed). Uses BLAS; results are identical for any thread count. Every
 * floating dtype.
 * Errors: num_segments < 1 (VT_ERR_INVALID_ARGUMENT); C not divisible by G, G = 0 with C > 0,
 * T*G or Cg*S above 2^31-1, the shape rules above, outputs overlapping inputs
 * (VT_ERR_SHAPE_MISMATCH).
 * ------------------------------------------------------------------------------------------ */

int32_t vt_global_temporal_attention_forward(const DLTensor *v, const DLTensor *attn, DLTensor *y,
                                             int64_t num_segments, vt_error *err);
int32_t vt_global_temporal_attention_backward(const DLTensor *grad, const DLTensor *v, const DLTensor *attn,
                                              DLTensor *grad_v, DLTensor *grad_attn, int64_t num_segments,
                                              vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Region pooling and unpooling (region GTA). x, y: (B, C, S); assign: (B, K, S), the paper's
 * G_R = W_G X^T computed by the caller (a 1x1 conv with K outputs); r: (B, C, K).
 *
 *     region_pool:   r[b, c, k] = scale * Σ_s assign[b,k,s] * x[b,c,s]   (scale = 1/S if
 *                    normalize != 0, else 1; the GloRe convention keeps magnitudes stable)
 *     region_unpool: y[b, c, s] = Σ_k assign[b,k,s] * r[b,c,k]
 *
 * Backward gives the gradients of both inputs; either may be NULL (not computed). Every floating
 * dtype.
 * Errors: the shape rules above, C, S or K above 2^31-1, overflowing sizes, outputs
 * overlapping inputs (VT_ERR_SHAPE_MISMATCH).
 * ------------------------------------------------------------------------------------------ */

int32_t vt_region_pool_forward(const DLTensor *x, const DLTensor *assign, DLTensor *r, int32_t normalize,
                               vt_error *err);
int32_t vt_region_pool_backward(const DLTensor *grad, const DLTensor *x, const DLTensor *assign,
                                DLTensor *grad_x, DLTensor *grad_assign, int32_t normalize, vt_error *err);

int32_t vt_region_unpool_forward(const DLTensor *r, const DLTensor *assign, DLTensor *y, vt_error *err);
int32_t vt_region_unpool_backward(const DLTensor *grad, const DLTensor *r, const DLTensor *assign,
                                  DLTensor *grad_r, DLTensor *grad_assign, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Spatial self-attention within each frame (the decoupled spatial attention before GTA).
 * q, k: (B, D, S); v, y: (B, DV, S):
 *
 *     y[b, :, i] = Σ_j softmax_j(q[b,:,i] · k[b,:,j] / sqrt(D)) * v[b, :, j]
 *
 * Stable for large logits (max-subtracted softmax); a NaN or infinite logit makes its row NaN.
 * Memory: per thread two blocks of rows x S scores, a whole frame's (S x S) while S <= 256 (at
 * most 256 KiB each in float32), 64 x S beyond (VT_ERR_ALLOCATION if they cannot be had). lse (B, S), optional (may be NULL), receives each row's log-sum-exp; passing
 * the forward's lse back to the backward saves the max pass (NULL recomputes it; anything but
 * the forward's lse or NULL gives meaningless gradients). Backward gives grad_q, grad_k, grad_v;
 * any may be NULL (not computed). Every floating dtype.
 * Errors as region pooling, plus VT_ERR_ALLOCATION.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_spatial_attention_forward(const DLTensor *q, const DLTensor *k, const DLTensor *v, DLTensor *y,
                                     DLTensor *lse, vt_error *err);
int32_t vt_spatial_attention_backward(const DLTensor *grad, const DLTensor *q, const DLTensor *k,
                                      const DLTensor *v, const DLTensor *lse, DLTensor *grad_q, DLTensor *grad_k,
                                      DLTensor *grad_v, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Dual attention matching (DAM, Wu et al. ICCV 2019; no official code exists, this follows the
 * method as the seminar notes present it). audio, visual: (N, T, D) segment features in a
 * common space; mask: (N, T), 0 or 1 (the event-relevant region T_E), of the features' dtype;
 * per modality wq, wk: (D, DK), wv: (D, D). For modality m with features F:
 *
 *     self_att(F) = softmax((F wq)(F wk)^T / sqrt(DK)) (F wv)   over the segments of the region only
 *     global_m    = mean over the region of self_att(F)          (0 when the region is empty)
 *     p_audio[t]  = σ(global_visual · audio[t]),  p_visual[t] = σ(global_audio · visual[t]),
 *     p           = (p_audio + p_visual) / 2
 *
 * Outputs p, p_audio, p_visual: (N, T); global_audio, global_visual: (N, D); all required.
 * Backward takes the gradients of the five outputs (any may be NULL: zero) and gives the
 * gradients of audio, visual and the six weights (any may be NULL: not computed); the mask is
 * data, not a parameter, and gets none. Every floating dtype.
 *
 * workspace (optional, may be NULL): a 1-d tensor of vt_dual_attention_matching_workspace_count
 * elements that the forward fills with the region's projections, its pooling weights and the
 * global features; passing it unchanged to the backward for the same inputs spares the backward
 * recomputing them (NULL recomputes).
 * Errors: a mask value other than 0 or 1 (VT_ERR_INVALID_ARGUMENT); the shape rules above,
 * overflowing sizes, outputs overlapping inputs (VT_ERR_SHAPE_MISMATCH); scratch
 * (VT_ERR_ALLOCATION).
 * ------------------------------------------------------------------------------------------ */

/* *count receives the workspace's element count for these dims (each >= 0). */
int32_t vt_dual_attention_matching_workspace_count(int64_t n, int64_t t, int64_t d, int64_t dk, int64_t *count,
                                                   vt_error *err);

int32_t vt_dual_attention_matching_forward(const DLTensor *audio, const DLTensor *visual, const DLTensor *mask,
                                           const DLTensor *wq_a, const DLTensor *wk_a, const DLTensor *wv_a,
                                           const DLTensor *wq_v, const DLTensor *wk_v, const DLTensor *wv_v,
                                           DLTensor *p, DLTensor *p_audio, DLTensor *p_visual,
                                           DLTensor *global_audio, DLTensor *global_visual, DLTensor *workspace,
                                           vt_error *err);

int32_t vt_dual_attention_matching_backward(
    const DLTensor *grad_p, const DLTensor *grad_p_audio, const DLTensor *grad_p_visual,
    const DLTensor *grad_global_audio, const DLTensor *grad_global_visual, const DLTensor *audio,
    const DLTensor *visual, const DLTensor *mask, const DLTensor *wq_a, const DLTensor *wk_a, const DLTensor *wv_a,
    const DLTensor *wq_v, const DLTensor *wk_v, const DLTensor *wv_v, const DLTensor *workspace,
    DLTensor *grad_audio, DLTensor *grad_visual, DLTensor *grad_wq_a, DLTensor *grad_wk_a, DLTensor *grad_wv_a,
    DLTensor *grad_wq_v, DLTensor *grad_wk_v, DLTensor *grad_wv_v, vt_error *err);

/* DAM loss: mean binary cross-entropy of p against labels (tensors of one shape, any ndim,
 * values in [0, 1]), written to the 0-d tensor loss. Safe at p = 0 and 1 like torch's BCELoss:
 * logs are clamped at -100, and the gradient divides by max(p (1 - p), 1e-12). Backward:
 * grad_p and grad_labels (either may be NULL) for the 0-d loss gradient grad. No elements
 * is VT_ERR_SHAPE_MISMATCH (no mean); values outside [0, 1] are VT_ERR_INVALID_ARGUMENT.
 * Every floating dtype. */
int32_t vt_dam_loss_forward(const DLTensor *p, const DLTensor *labels, DLTensor *loss, vt_error *err);
int32_t vt_dam_loss_backward(const DLTensor *grad, const DLTensor *p, const DLTensor *labels,
                             DLTensor *grad_p, DLTensor *grad_labels, vt_error *err);

/* Cross-modality localisation (A2V / V2A): for each of N clips, score the other modality's
 * segments other_local (N, T, D) by σ(query_global · f_t) with query_global (N, D), slide a
 * window of `length` segments (1 <= length <= T, else VT_ERR_INVALID_ARGUMENT) and write the
 * start with the largest summed score to start[clip], an int64 tensor (N) (the first on ties).
 * query_global and other_local: any floating dtype. No gradient: the result is an index, so
 * this is the only op function named without _forward. */
int32_t vt_cml_localize(const DLTensor *query_global, const DLTensor *other_local, DLTensor *start, int64_t length,
                        vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Local correlation (the Motion Squeeze cost volume; spatial-correlation-sampler with
 * kernel_size 1, stride 1, padding 0). f1, f2: (B, C, H, W); out: (B, P, P, H, W), P =
 * patch_size (odd):
 *
 *     out[b,i,j,y,x] = Σ_c f1[b,c,y,x] * f2[b,c,y+dy,x+dx],
 *     dy = (i - (P-1)/2) * dilation_patch,  dx = (j - (P-1)/2) * dilation_patch
 *
 * Samples outside the image count 0; no division by C. Backward gives grad_f1 and grad_f2
 * (either may be NULL: not computed). Every floating dtype.
 * Errors: even or non-positive patch_size, dilation_patch < 1 (VT_ERR_INVALID_ARGUMENT); the
 * shape rules above, overflowing sizes, outputs overlapping inputs (VT_ERR_SHAPE_MISMATCH).
 * ------------------------------------------------------------------------------------------ */

int32_t vt_correlation_forward(const DLTensor *f1, const DLTensor *f2, DLTensor *out, int64_t patch_size,
                               int64_t dilation_patch, vt_error *err);
int32_t vt_correlation_backward(const DLTensor *grad, const DLTensor *f1, const DLTensor *f2,
                                DLTensor *grad_f1, DLTensor *grad_f2, int64_t patch_size, int64_t dilation_patch,
                                vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Spatial correlation sampling: spatial-correlation-sampler's whole argument set (FlowNet's and
 * PWC-Net's cost volumes with a window, stride, padding and dilation). input1, input2:
 * (B, C, H, W); out: (B, PH, PW, OH, OW), PH = patch_h, PW = patch_w (odd or even):
 *
 *     out[b,p,q,h,w] = Σ_c Σ_{i<kernel_h} Σ_{j<kernel_w} input1[b,c,y,x] * input2[b,c,y+su,x+sv],
 *     y = h*stride_h - padding_h + i*dilation_h,  x = w*stride_w - padding_w + j*dilation_w,
 *     su = (p - (PH-1)/2) * dilation_patch_h,  sv = (q - (PW-1)/2) * dilation_patch_w
 *
 * ((PH-1)/2 in C integer division: an even patch reaches one further forward than back), a term
 * counting only where both samples lie in the image, no normalisation. OH and OW are
 * vt_spatial_correlation_sample_output_size of (H, kernel_h, padding_h, dilation_h, stride_h) and
 * (W, kernel_w, padding_w, dilation_w, stride_w):
 *
 *     (size + 2*padding - ((kernel_size - 1)*dilation + 1)) / stride + 1
 *
 * in C integer division (truncating), as the peer sizes it. Padding and dilation_patch may be any
 * value (negative padding crops; a negative dilation_patch mirrors the patch). Kernel 1, stride 1,
 * padding 0 with an odd square patch and one dilation_patch >= 1 runs vt_correlation_forward's
 * register tiles. Backward gives grad_input1 and grad_input2 (either may be NULL: not computed).
 * Every floating dtype (a half-precision forward: the tiles read it in that case, float32 copies
 * otherwise).
 * Errors: kernel or patch sizes < 0, strides or dilations < 1, an output size that is negative or
 * overflows (VT_ERR_INVALID_ARGUMENT); the shape rules above, outputs overlapping inputs
 * (VT_ERR_SHAPE_MISMATCH); scratch for the displacements' planes (VT_ERR_ALLOCATION).
 * ------------------------------------------------------------------------------------------ */

int32_t vt_spatial_correlation_sample_output_size(int64_t size, int64_t kernel_size, int64_t padding,
                                                  int64_t dilation, int64_t stride, int64_t *count, vt_error *err);
int32_t vt_spatial_correlation_sample_forward(const DLTensor *input1, const DLTensor *input2, DLTensor *out,
                                              int64_t kernel_h, int64_t kernel_w, int64_t patch_h, int64_t patch_w,
                                              int64_t stride_h, int64_t stride_w, int64_t padding_h,
                                              int64_t padding_w, int64_t dilation_h, int64_t dilation_w,
                                              int64_t dilation_patch_h, int64_t dilation_patch_w, vt_error *err);
int32_t vt_spatial_correlation_sample_backward(const DLTensor *grad, const DLTensor *input1, const DLTensor *input2,
                                               DLTensor *grad_input1, DLTensor *grad_input2, int64_t kernel_h,
                                               int64_t kernel_w, int64_t patch_h, int64_t patch_w, int64_t stride_h,
                                               int64_t stride_w, int64_t padding_h, int64_t padding_w,
                                               int64_t dilation_h, int64_t dilation_w, int64_t dilation_patch_h,
                                               int64_t dilation_patch_w, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Kernel soft-argmax (MSNet) of a correlation volume corr (B, P, P, H, W), P odd: per pixel,
 * over its P*P scores c (index k = ky * P + kx),
 *
 *     k* = argmax c (first on ties),  g_k = exp(-((kx-kx*)^2 + (ky-ky*)^2) / (2 sigma^2)),
 *     p = softmax(temperature * g * c),  u = Σ p_k (kx - r) / r,  v = Σ p_k (ky - r) / r,
 *     r = (P-1)/2 (u = v = 0 for P = 1);  confidence = max_k c_k
 *
 * displacement (B, 2, H, W) receives [u, v] in [-1, 1] (u horizontal), confidence (B, 1, H, W).
 * Backward: grad_corr from grad_displacement and grad_confidence (either may be NULL: zero); g
 * and k* are constants, the confidence's gradient goes to k*. Every floating dtype.
 * Errors: even P, sigma not positive and finite, temperature not finite
 * (VT_ERR_INVALID_ARGUMENT); the usual shape, overflow and overlap checks.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_kernel_soft_argmax_forward(const DLTensor *corr, DLTensor *displacement, DLTensor *confidence,
                                      double sigma, double temperature, vt_error *err);
int32_t vt_kernel_soft_argmax_backward(const DLTensor *grad_displacement, const DLTensor *grad_confidence,
                                       const DLTensor *corr, DLTensor *grad_corr, double sigma, double temperature,
                                       vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Motion Squeeze, fused (MSNet): x (N*T, C, H, W), T = num_segments -> out (N*T, 3, H, W).
 * Per clip: if normalize, each pixel's channel vector is divided by sqrt(Σ_c x^2 + 1e-6);
 * frame t is correlated with frame t + 1 (t < T-1; patch_size P odd, dilation 1); ReLU; the
 * kernel soft-argmax (sigma, temperature) gives [u, v, confidence] for frame t; the last frame
 * repeats frame T-2's map (T = 1: zeros). One pair's P*P*H*W volume is held at a time per thread.
 * Backward: grad_x from grad (the gradient through the soft-argmax treats its Gaussian and
 * argmax as constants; the ReLU passes gradient where the correlation is positive). Every floating
 * dtype.
 * Errors: as correlation and kernel soft-argmax, plus num_segments < 1
 * (VT_ERR_INVALID_ARGUMENT) and N*T not a multiple of num_segments (VT_ERR_SHAPE_MISMATCH).
 * ------------------------------------------------------------------------------------------ */

int32_t vt_motion_squeeze_forward(const DLTensor *x, DLTensor *out, int64_t num_segments, int64_t patch_size,
                                  double sigma, double temperature, int32_t normalize, vt_error *err);
int32_t vt_motion_squeeze_backward(const DLTensor *grad, const DLTensor *x, DLTensor *grad_x,
                                   int64_t num_segments, int64_t patch_size, double sigma, double temperature,
                                   int32_t normalize, vt_error *err);

#ifdef __cplusplus
}
#endif

#endif /* VIDTEMPORAL_H */
