/* vidtemporal_v1.h — the version 1 functions (raw pointers, one per dtype), kept while the
 * callers move to version 2. Included by vidtemporal.h. */
#ifndef VIDTEMPORAL_V1_H
#define VIDTEMPORAL_V1_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Temporal shift (TSM, Lin et al. ICCV 2019)
 *
 * x, y: (nt, c, h, w) with nt = N * num_segments. fold = c / fold_div (floor; fold = 0 makes
 * the op a copy). Frames outside the clip are zeros.
 *
 *  VT_SHIFT_BIDIRECTIONAL (offline; the official code's direction, which released checkpoints
 *  expect): channels [0, fold) take the NEXT frame, y[t] = x[t+1], y[T-1] = 0; channels
 *  [fold, 2*fold) take the PREVIOUS frame, y[t] = x[t-1], y[0] = 0; the rest are copied.
 *
 *  VT_SHIFT_UNIDIRECTIONAL (online TSM): channels [0, fold) take the PREVIOUS frame,
 *  y[t] = x[t-1], y[0] = 0; the rest are copied. Equals running the stream below over the clip.
 *
 * Errors: num_segments < 1, fold_div < 1, unknown mode, negative dims (VT_ERR_INVALID_ARGUMENT);
 * nt not a multiple of num_segments, overflowing sizes, output overlapping input
 * (VT_ERR_SHAPE_MISMATCH); NULL data for a non-empty tensor (VT_ERR_NULL_POINTER).
 * ------------------------------------------------------------------------------------------ */

/* y = shift(x). x and y must not overlap. */
int32_t vt_temporal_shift_forward_f32(const float *x, float *y, int64_t nt, int64_t c, int64_t h,
                                      int64_t w, int64_t num_segments, int64_t fold_div,
                                      int32_t mode, vt_error *err);
int32_t vt_temporal_shift_forward_f64(const double *x, double *y, int64_t nt, int64_t c,
                                      int64_t h, int64_t w, int64_t num_segments,
                                      int64_t fold_div, int32_t mode, vt_error *err);

/* grad_x = shift^T(grad_y): the reverse shift with zero fill (the exact adjoint). */
int32_t vt_temporal_shift_backward_f32(const float *grad_y, float *grad_x, int64_t nt, int64_t c,
                                       int64_t h, int64_t w, int64_t num_segments,
                                       int64_t fold_div, int32_t mode, vt_error *err);
int32_t vt_temporal_shift_backward_f64(const double *grad_y, double *grad_x, int64_t nt,
                                       int64_t c, int64_t h, int64_t w, int64_t num_segments,
                                       int64_t fold_div, int32_t mode, vt_error *err);

/* In place: x = shift(x), moving only the shifted channels. Bit-identical to the forward. */
int32_t vt_temporal_shift_inplace_forward_f32(float *x, int64_t nt, int64_t c, int64_t h,
                                              int64_t w, int64_t num_segments, int64_t fold_div,
                                              int32_t mode, vt_error *err);
int32_t vt_temporal_shift_inplace_forward_f64(double *x, int64_t nt, int64_t c, int64_t h,
                                              int64_t w, int64_t num_segments, int64_t fold_div,
                                              int32_t mode, vt_error *err);

/* In place: grad = shift^T(grad). Bit-identical to the backward. */
int32_t vt_temporal_shift_inplace_backward_f32(float *grad, int64_t nt, int64_t c, int64_t h,
                                               int64_t w, int64_t num_segments,
                                               int64_t fold_div, int32_t mode, vt_error *err);
int32_t vt_temporal_shift_inplace_backward_f64(double *grad, int64_t nt, int64_t c, int64_t h,
                                               int64_t w, int64_t num_segments,
                                               int64_t fold_div, int32_t mode, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Temporal shift, streaming (online TSM for live video, one frame at a time)
 *
 * The state holds a cache of shape (n, fold, h, w), fold = c / fold_div, zeros at start. A step
 * takes the current frame (n, c, h, w) and writes to out the frame with channels [0, fold)
 * replaced by the cache, then stores the frame's channels [0, fold) as the new cache. Running
 * T steps over a clip equals VT_SHIFT_UNIDIRECTIONAL on that clip, exactly.
 *
 * A state is created for one frame shape and one dtype (VT_DTYPE_*); stepping it with the
 * other dtype is VT_ERR_UNSUPPORTED. One state must not be used from two threads at once.
 *
 * Errors: create: negative dims, fold_div < 1, unknown dtype (VT_ERR_INVALID_ARGUMENT);
 * overflowing sizes (VT_ERR_SHAPE_MISMATCH); out NULL (VT_ERR_NULL_POINTER); the cache cannot be
 * allocated (VT_ERR_ALLOCATION). step: NULL stream or data (VT_ERR_NULL_POINTER); dims other than
 * the stream's, or out overlapping frame (VT_ERR_SHAPE_MISMATCH); the other dtype
 * (VT_ERR_UNSUPPORTED). reset: NULL stream (VT_ERR_NULL_POINTER).
 * ------------------------------------------------------------------------------------------ */

/* One step. frame and out are (n, c, h, w), the dims the stream was created with (checked:
 * VT_ERR_SHAPE_MISMATCH otherwise), and must not overlap. */
int32_t vt_temporal_shift_stream_step_f32(vt_temporal_shift_stream *stream, const float *frame,
                                          float *out, int64_t n, int64_t c, int64_t h, int64_t w,
                                          vt_error *err);
int32_t vt_temporal_shift_stream_step_f64(vt_temporal_shift_stream *stream, const double *frame,
                                          double *out, int64_t n, int64_t c, int64_t h, int64_t w,
                                          vt_error *err);

/* Zeros the cache: the next step is treated as the first frame of a new clip. */


/* Frees a stream. NULL is a no-op. */


/* ---------------------------------------------------------------------------------------------
 * Temporal interlace (TIN, Shao et al. AAAI 2020)
 *
 * x, y: (nt, c, h, w) with nt = N * num_segments; offsets: (N, groups); weights:
 * (N, num_segments, groups). The first F = c / shift_div channels (F must split into 2 * groups
 * equal parts) are interlaced, the rest copied. Part q of them (0 <= q < 2G, G = groups) uses the
 * shift s = offsets[n, q mod G] for q < G and s = -offsets[n, q mod G] for q >= G (the reversed
 * parts), and the weight group g = q mod G. With k = floor(s), a = s - k:
 *
 *     y[n,t,c] = weights[n,t,g] * ((1-a) * x[n,t-k,c] + a * x[n,t-k-1,c]),
 *
 * zeros outside [0, T). A positive offset samples from the past.
 *
 * Backward: grad_x is the exact adjoint in x; grad_offsets flows through a only (floor is a
 * constant, so at an integer s it is the right-sided derivative in s); grad_weights[n,t,g] sums
 * grad_y * (the interpolated x) over the parts of group g. Any of grad_x, grad_offsets,
 * grad_weights may be NULL: that gradient is then not computed.
 *
 * Errors: as temporal shift for the dims, plus shift_div < 1 or groups < 1
 * (VT_ERR_INVALID_ARGUMENT); F not divisible by 2 * groups (VT_ERR_SHAPE_MISMATCH); a NaN or
 * infinite offset (VT_ERR_INVALID_ARGUMENT); an output overlapping an input
 * (VT_ERR_SHAPE_MISMATCH).
 * ------------------------------------------------------------------------------------------ */

int32_t vt_temporal_interlace_forward_f32(const float *x, const float *offsets, const float *weights,
                                          float *y, int64_t nt, int64_t c, int64_t h, int64_t w,
                                          int64_t num_segments, int64_t shift_div, int64_t groups,
                                          vt_error *err);
int32_t vt_temporal_interlace_forward_f64(const double *x, const double *offsets,
                                          const double *weights, double *y, int64_t nt, int64_t c,
                                          int64_t h, int64_t w, int64_t num_segments,
                                          int64_t shift_div, int64_t groups, vt_error *err);

int32_t vt_temporal_interlace_backward_f32(const float *grad_y, const float *x, const float *offsets,
                                           const float *weights, float *grad_x,
                                           float *grad_offsets, float *grad_weights, int64_t nt,
                                           int64_t c, int64_t h, int64_t w, int64_t num_segments,
                                           int64_t shift_div, int64_t groups, vt_error *err);
int32_t vt_temporal_interlace_backward_f64(const double *grad_y, const double *x,
                                           const double *offsets, const double *weights,
                                           double *grad_x, double *grad_offsets,
                                           double *grad_weights, int64_t nt, int64_t c, int64_t h,
                                           int64_t w, int64_t num_segments, int64_t shift_div,
                                           int64_t groups, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Global temporal attention (GTA, He et al. BMVC 2021; no official code exists, this follows
 * the paper's eqs. 5-8): cross-channel multi-head temporal mixing with a learned matrix.
 *
 * v, y: (nt, c, s) with nt = N * num_segments and any spatial layout flattened to s (pixels or
 * regions); attn: (G, G, T, T) indexed [out_group, in_group, t_out, t_in]; c % G == 0,
 * Cg = c / G:
 *
 *     y[n,t, k*Cg + c, s] = Σ_g Σ_τ attn[k, g, t, τ] * v[n,τ, g*Cg + c, s]
 *
 * attn is used raw (no softmax). G = 1 is plain global temporal attention y[t] = Σ_τ M[t,τ] v[τ].
 * Backward: grad_v (the adjoint) and grad_attn = Σ over clips, channels and positions; either
 * may be NULL (not computed). Uses BLAS; results are identical for any thread count.
 * Errors: as temporal shift for the dims; groups < 1 (VT_ERR_INVALID_ARGUMENT); c not divisible
 * by groups, T*G or Cg*s above 2^31-1 (VT_ERR_SHAPE_MISMATCH); outputs overlapping inputs.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_global_temporal_attention_forward_f32(const float *v, const float *attn, float *y, int64_t nt,
                                                 int64_t c, int64_t s, int64_t num_segments,
                                                 int64_t groups, vt_error *err);
int32_t vt_global_temporal_attention_forward_f64(const double *v, const double *attn, double *y,
                                                 int64_t nt, int64_t c, int64_t s,
                                                 int64_t num_segments, int64_t groups, vt_error *err);
int32_t vt_global_temporal_attention_backward_f32(const float *grad_y, const float *v,
                                                  const float *attn, float *grad_v, float *grad_attn,
                                                  int64_t nt, int64_t c, int64_t s,
                                                  int64_t num_segments, int64_t groups, vt_error *err);
int32_t vt_global_temporal_attention_backward_f64(const double *grad_y, const double *v,
                                                  const double *attn, double *grad_v,
                                                  double *grad_attn, int64_t nt, int64_t c, int64_t s,
                                                  int64_t num_segments, int64_t groups, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Region pooling and unpooling (region GTA). x, y: (b, c, s); assign: (b, k, s), the paper's
 * G_R = W_G X^T computed by the caller (a 1x1 conv with k outputs); r: (b, c, k).
 *
 *     region_pool:   r[b, c, k] = scale * Σ_s assign[b,k,s] * x[b,c,s]   (scale = 1/s if
 *                    normalize != 0, else 1; the GloRe convention keeps magnitudes stable)
 *     region_unpool: y[b, c, s] = Σ_k assign[b,k,s] * r[b,c,k]
 *
 * Backward gives the gradients of both inputs; either output may be NULL (not computed).
 * Errors: negative dims (VT_ERR_INVALID_ARGUMENT); overflowing sizes, c, s or k above 2^31-1,
 * outputs overlapping inputs (VT_ERR_SHAPE_MISMATCH); NULL data for a non-empty tensor.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_region_pool_forward_f32(const float *x, const float *assign, float *r, int64_t b, int64_t c,
                                   int64_t s, int64_t k, int32_t normalize, vt_error *err);
int32_t vt_region_pool_forward_f64(const double *x, const double *assign, double *r, int64_t b,
                                   int64_t c, int64_t s, int64_t k, int32_t normalize, vt_error *err);
int32_t vt_region_pool_backward_f32(const float *grad_r, const float *x, const float *assign,
                                    float *grad_x, float *grad_assign, int64_t b, int64_t c, int64_t s,
                                    int64_t k, int32_t normalize, vt_error *err);
int32_t vt_region_pool_backward_f64(const double *grad_r, const double *x, const double *assign,
                                    double *grad_x, double *grad_assign, int64_t b, int64_t c,
                                    int64_t s, int64_t k, int32_t normalize, vt_error *err);

int32_t vt_region_unpool_forward_f32(const float *r, const float *assign, float *y, int64_t b,
                                     int64_t c, int64_t s, int64_t k, vt_error *err);
int32_t vt_region_unpool_forward_f64(const double *r, const double *assign, double *y, int64_t b,
                                     int64_t c, int64_t s, int64_t k, vt_error *err);
int32_t vt_region_unpool_backward_f32(const float *grad_y, const float *r, const float *assign,
                                      float *grad_r, float *grad_assign, int64_t b, int64_t c,
                                      int64_t s, int64_t k, vt_error *err);
int32_t vt_region_unpool_backward_f64(const double *grad_y, const double *r, const double *assign,
                                      double *grad_r, double *grad_assign, int64_t b, int64_t c,
                                      int64_t s, int64_t k, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Spatial self-attention within each frame (the decoupled spatial attention before GTA).
 * q, k: (b, d, s); v, y: (b, dv, s):
 *
 *     y[b, :, i] = Σ_j softmax_j(q[b,:,i] · k[b,:,j] / sqrt(d)) * v[b, :, j]
 *
 * Stable for large logits (max-subtracted softmax); a NaN or infinite logit makes its row NaN.
 * Memory: two 64 x s row blocks per thread, never an s x s matrix (VT_ERR_ALLOCATION if they
 * cannot be had). lse (b, s), optional (may be NULL), receives each row's log-sum-exp; passing
 * the forward's lse back to the backward saves the max pass (NULL recomputes it; anything but
 * the forward's lse or NULL gives meaningless gradients). Backward gives grad_q, grad_k, grad_v;
 * any may be NULL (not computed). Errors as region pooling, plus VT_ERR_ALLOCATION.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_spatial_attention_forward_f32(const float *q, const float *k, const float *v, float *y,
                                         float *lse, int64_t b, int64_t d, int64_t dv, int64_t s,
                                         vt_error *err);
int32_t vt_spatial_attention_forward_f64(const double *q, const double *k, const double *v, double *y,
                                         double *lse, int64_t b, int64_t d, int64_t dv, int64_t s,
                                         vt_error *err);
int32_t vt_spatial_attention_backward_f32(const float *grad_y, const float *q, const float *k,
                                          const float *v, const float *lse, float *grad_q,
                                          float *grad_k, float *grad_v, int64_t b, int64_t d,
                                          int64_t dv, int64_t s, vt_error *err);
int32_t vt_spatial_attention_backward_f64(const double *grad_y, const double *q, const double *k,
                                          const double *v, const double *lse, double *grad_q,
                                          double *grad_k, double *grad_v, int64_t b, int64_t d,
                                          int64_t dv, int64_t s, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Dual attention matching (DAM, Wu et al. ICCV 2019; no official code exists, this follows the
 * method as the seminar notes present it). audio, visual: (n, t, d) segment features in a common space; mask: (n, t),
 * 0 or 1 (the event-relevant region T_E), of the features' dtype; per modality wq, wk: (d, dk),
 * wv: (d, d). For modality m with features F:
 *
 *     self_att(F) = softmax((F wq)(F wk)^T / sqrt(dk)) (F wv)   over the segments of the region only
 *     global_m    = mean over the region of self_att(F)          (0 when the region is empty)
 *     p_audio[t]  = σ(global_visual · audio[t]),  p_visual[t] = σ(global_audio · visual[t]),
 *     p           = (p_audio + p_visual) / 2
 *
 * Outputs p, p_audio, p_visual: (n, t); global_audio, global_visual: (n, d). All required.
 * Backward takes the gradients of the five outputs (any may be NULL: zero) and gives the
 * gradients of audio, visual and the six weights (any may be NULL: not computed); the mask is
 * data, not a parameter, and gets none.
 *
 * workspace (optional, may be NULL): vt_dual_attention_matching_workspace_count elements that the
 * forward fills with the region's projections, its pooling weights and the global features;
 * passing it unchanged to the backward for the same inputs spares the backward recomputing them
 * (NULL recomputes).
 * Errors: negative dims (VT_ERR_INVALID_ARGUMENT); a mask value other than 0 or 1
 * (VT_ERR_INVALID_ARGUMENT); overflowing sizes, outputs overlapping inputs
 * (VT_ERR_SHAPE_MISMATCH); NULL data for a non-empty tensor; scratch (VT_ERR_ALLOCATION).
 * ------------------------------------------------------------------------------------------ */

/* *count receives the workspace's element count for these dims. */
int32_t vt_dual_attention_matching_workspace_count(int64_t n, int64_t t, int64_t d, int64_t dk,
                                                   int64_t *count, vt_error *err);

int32_t vt_dual_attention_matching_forward_f32(
    const float *audio, const float *visual, const float *mask, const float *wq_a, const float *wk_a,
    const float *wv_a, const float *wq_v, const float *wk_v, const float *wv_v, float *p,
    float *p_audio, float *p_visual, float *global_audio, float *global_visual, float *workspace,
    int64_t n, int64_t t, int64_t d, int64_t dk, vt_error *err);
int32_t vt_dual_attention_matching_forward_f64(
    const double *audio, const double *visual, const double *mask, const double *wq_a,
    const double *wk_a, const double *wv_a, const double *wq_v, const double *wk_v,
    const double *wv_v, double *p, double *p_audio, double *p_visual, double *global_audio,
    double *global_visual, double *workspace, int64_t n, int64_t t, int64_t d, int64_t dk,
    vt_error *err);

int32_t vt_dual_attention_matching_backward_f32(
    const float *grad_p, const float *grad_p_audio, const float *grad_p_visual,
    const float *grad_global_audio, const float *grad_global_visual, const float *audio,
    const float *visual, const float *mask, const float *wq_a, const float *wk_a, const float *wv_a,
    const float *wq_v, const float *wk_v, const float *wv_v, const float *workspace,
    float *grad_audio, float *grad_visual,
    float *grad_wq_a, float *grad_wk_a, float *grad_wv_a, float *grad_wq_v, float *grad_wk_v,
    float *grad_wv_v, int64_t n, int64_t t, int64_t d, int64_t dk, vt_error *err);
int32_t vt_dual_attention_matching_backward_f64(
    const double *grad_p, const double *grad_p_audio, const double *grad_p_visual,
    const double *grad_global_audio, const double *grad_global_visual, const double *audio,
    const double *visual, const double *mask, const double *wq_a, const double *wk_a,
    const double *wv_a, const double *wq_v, const double *wk_v, const double *wv_v,
    const double *workspace, double *grad_audio, double *grad_visual, double *grad_wq_a, double *grad_wk_a,
    double *grad_wv_a, double *grad_wq_v, double *grad_wk_v, double *grad_wv_v, int64_t n,
    int64_t t, int64_t d, int64_t dk, vt_error *err);

/* DAM loss: mean binary cross-entropy of p against labels (both `count` values in [0, 1]),
 * written to *loss. Safe at p = 0 and 1 like torch's BCELoss: logs are clamped at -100, and the
 * gradient divides by max(p (1 - p), 1e-12). Backward: grad_p and grad_labels (either may be
 * NULL) for the loss gradient *grad_loss. count = 0 is VT_ERR_SHAPE_MISMATCH (no mean);
 * values outside [0, 1] are VT_ERR_INVALID_ARGUMENT. */
int32_t vt_dam_loss_forward_f32(const float *p, const float *labels, float *loss, int64_t count,
                                vt_error *err);
int32_t vt_dam_loss_forward_f64(const double *p, const double *labels, double *loss, int64_t count,
                                vt_error *err);
int32_t vt_dam_loss_backward_f32(const float *grad_loss, const float *p, const float *labels,
                                 float *grad_p, float *grad_labels, int64_t count, vt_error *err);
int32_t vt_dam_loss_backward_f64(const double *grad_loss, const double *p, const double *labels,
                                 double *grad_p, double *grad_labels, int64_t count, vt_error *err);

/* Cross-modality localisation (A2V / V2A): for each of n clips, score the other modality's
 * segments other_local (n, t, d) by σ(query_global · f_t) with query_global (n, d), slide a
 * window of `length` segments (1 <= length <= t, else VT_ERR_INVALID_ARGUMENT) and write the
 * start with the largest summed score to start[clip] (the first on ties). No gradient: the
 * result is an index, so these are the only functions named without _forward. */
int32_t vt_cml_localize_f32(const float *query_global, const float *other_local, int64_t *start,
                            int64_t n, int64_t t, int64_t d, int64_t length, vt_error *err);
int32_t vt_cml_localize_f64(const double *query_global, const double *other_local, int64_t *start,
                            int64_t n, int64_t t, int64_t d, int64_t length, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Local correlation (the Motion Squeeze cost volume; spatial-correlation-sampler with
 * kernel_size 1, stride 1, padding 0). f1, f2: (b, c, h, w); out: (b, P, P, h, w), P =
 * patch_size (odd):
 *
 *     out[b,i,j,y,x] = Σ_c f1[b,c,y,x] * f2[b,c,y+dy,x+dx],
 *     dy = (i - (P-1)/2) * dilation_patch,  dx = (j - (P-1)/2) * dilation_patch
 *
 * Samples outside the image count 0; no division by c. Backward gives grad_f1 and grad_f2
 * (either may be NULL: not computed).
 * Errors: even or non-positive patch_size, dilation_patch < 1, negative dims
 * (VT_ERR_INVALID_ARGUMENT); overflowing sizes, outputs overlapping inputs (VT_ERR_SHAPE_MISMATCH);
 * NULL data for a non-empty tensor.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_correlation_forward_f32(const float *f1, const float *f2, float *out, int64_t b, int64_t c,
                                   int64_t h, int64_t w, int64_t patch_size, int64_t dilation_patch,
                                   vt_error *err);
int32_t vt_correlation_forward_f64(const double *f1, const double *f2, double *out, int64_t b,
                                   int64_t c, int64_t h, int64_t w, int64_t patch_size,
                                   int64_t dilation_patch, vt_error *err);
int32_t vt_correlation_backward_f32(const float *grad_out, const float *f1, const float *f2,
                                    float *grad_f1, float *grad_f2, int64_t b, int64_t c, int64_t h,
                                    int64_t w, int64_t patch_size, int64_t dilation_patch,
                                    vt_error *err);
int32_t vt_correlation_backward_f64(const double *grad_out, const double *f1, const double *f2,
                                    double *grad_f1, double *grad_f2, int64_t b, int64_t c, int64_t h,
                                    int64_t w, int64_t patch_size, int64_t dilation_patch,
                                    vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Kernel soft-argmax (MSNet) of a correlation volume corr (b, P, P, h, w), P odd: per pixel, over
 * its P*P scores c (index k = ky * P + kx),
 *
 *     k* = argmax c (first on ties),  g_k = exp(-((kx-kx*)^2 + (ky-ky*)^2) / (2 sigma^2)),
 *     p = softmax(temperature * g * c),  u = Σ p_k (kx - r) / r,  v = Σ p_k (ky - r) / r,
 *     r = (P-1)/2 (u = v = 0 for P = 1);  confidence = max_k c_k
 *
 * displacement (b, 2, h, w) receives [u, v] in [-1, 1] (u horizontal), confidence (b, 1, h, w).
 * Backward: grad_corr from grad_displacement and grad_confidence (either may be NULL: zero); g
 * and k* are constants, the confidence's gradient goes to k*.
 * Errors: even or non-positive p, sigma not positive and finite, temperature not finite
 * (VT_ERR_INVALID_ARGUMENT); the usual size, NULL and overlap checks.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_kernel_soft_argmax_forward_f32(const float *corr, float *displacement, float *confidence,
                                          int64_t b, int64_t p, int64_t h, int64_t w, double sigma,
                                          double temperature, vt_error *err);
int32_t vt_kernel_soft_argmax_forward_f64(const double *corr, double *displacement,
                                          double *confidence, int64_t b, int64_t p, int64_t h,
                                          int64_t w, double sigma, double temperature, vt_error *err);
int32_t vt_kernel_soft_argmax_backward_f32(const float *grad_displacement,
                                           const float *grad_confidence, const float *corr,
                                           float *grad_corr, int64_t b, int64_t p, int64_t h,
                                           int64_t w, double sigma, double temperature,
                                           vt_error *err);
int32_t vt_kernel_soft_argmax_backward_f64(const double *grad_displacement,
                                           const double *grad_confidence, const double *corr,
                                           double *grad_corr, int64_t b, int64_t p, int64_t h,
                                           int64_t w, double sigma, double temperature,
                                           vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Motion Squeeze, fused (MSNet): x (nt, c, h, w), nt = N * num_segments -> out (nt, 3, h, w).
 * Per clip: if normalize, each pixel's channel vector is divided by sqrt(Σ_c x^2 + 1e-6);
 * frame t is correlated with frame t + 1 (t < T-1; patch_size P odd, dilation 1); ReLU; the
 * kernel soft-argmax (sigma, temperature) gives [u, v, confidence] for frame t; the last frame
 * repeats frame T-2's map (T = 1: zeros). One pair's P*P*h*w volume is held at a time per thread.
 * Backward: grad_x from grad_out (the gradient through the soft-argmax treats its Gaussian and
 * argmax as constants; the ReLU passes gradient where the correlation is positive).
 * Errors: as correlation and kernel soft-argmax, plus nt not a multiple of num_segments.
 * ------------------------------------------------------------------------------------------ */

int32_t vt_motion_squeeze_forward_f32(const float *x, float *out, int64_t nt, int64_t c, int64_t h,
                                      int64_t w, int64_t num_segments, int64_t patch_size,
                                      double sigma, double temperature, int32_t normalize,
                                      vt_error *err);
int32_t vt_motion_squeeze_forward_f64(const double *x, double *out, int64_t nt, int64_t c, int64_t h,
                                      int64_t w, int64_t num_segments, int64_t patch_size,
                                      double sigma, double temperature, int32_t normalize,
                                      vt_error *err);
int32_t vt_motion_squeeze_backward_f32(const float *grad_out, const float *x, float *grad_x,
                                       int64_t nt, int64_t c, int64_t h, int64_t w,
                                       int64_t num_segments, int64_t patch_size, double sigma,
                                       double temperature, int32_t normalize, vt_error *err);
int32_t vt_motion_squeeze_backward_f64(const double *grad_out, const double *x, double *grad_x,
                                       int64_t nt, int64_t c, int64_t h, int64_t w,
                                       int64_t num_segments, int64_t patch_size, double sigma,
                                       double temperature, int32_t normalize, vt_error *err);

#ifdef __cplusplus
}
#endif

#endif /* VIDTEMPORAL_V1_H */
