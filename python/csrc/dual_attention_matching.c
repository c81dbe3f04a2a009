/* vidtemporal._C bindings of dual attention matching. */
#include "vidtemporal_ext.h"

#define FEATURES "(N, T, D)"

/* Checks the shapes every call shares: visual like audio, mask (N, T), wq/wk (D, Dk) with Dk
 * from wq_a, wv (D, D). args: audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v. */
static int check_inputs(const vtx_arg *a, const char *fn) {
    const Py_ssize_t *f = a[0].view.shape;
    Py_ssize_t mask[2] = {f[0], f[1]}, qk[2] = {f[2], a[3].view.shape[1]}, v[2] = {f[2], f[2]};
    if (vtx_check_arg_shape(&a[1], f, fn) < 0 || vtx_check_arg_shape(&a[2], mask, fn) < 0) return -1;
    for (int i = 3; i < 9; i++)
        if (vtx_check_arg_shape(&a[i], (i % 3 == 2) ? v : qk, fn) < 0) return -1;
    return 0;
}

#define INPUTS()                                                                                   \
    {.name = "audio", .ndim = 3, .layout = FEATURES}, {.name = "visual", .ndim = 3, .layout = FEATURES},  \
        {.name = "mask", .ndim = 2, .layout = "(N, T)"}, {.name = "wq_a", .ndim = 2, .layout = "(D, Dk)"}, \
        {.name = "wk_a", .ndim = 2, .layout = "(D, Dk)"}, {.name = "wv_a", .ndim = 2, .layout = "(D, D)"}, \
        {.name = "wq_v", .ndim = 2, .layout = "(D, Dk)"}, {.name = "wk_v", .ndim = 2, .layout = "(D, Dk)"}, \
        {.name = "wv_v", .ndim = 2, .layout = "(D, D)"}

/* The workspace must hold exactly vt_dual_attention_matching_workspace_count elements. */
static int check_workspace(const vtx_arg *workspace, const vtx_arg *a, const char *fn) {
    if (!workspace->view.obj) return 0;
    int64_t count = 0;
    vt_error error;
    int32_t status = vt_dual_attention_matching_workspace_count(a[0].view.shape[0], a[0].view.shape[1],
                                                                a[0].view.shape[2], a[3].view.shape[1], &count, &error);
    if (status != VT_OK) return vtx_raise(status, &error), -1;
    Py_ssize_t dims[1] = {(Py_ssize_t)count};
    return vtx_check_arg_shape(workspace, dims, fn);
}

/* workspace_count(n, t, d, dk) -> int */
static PyObject *workspace_count(PyObject *self, PyObject *args) {
    long long n, t, d, dk;
    if (!PyArg_ParseTuple(args, "LLLL", &n, &t, &d, &dk)) return NULL;
    int64_t count = 0;
    vt_error error;
    int32_t status = vt_dual_attention_matching_workspace_count(n, t, d, dk, &count, &error);
    if (status != VT_OK) return vtx_raise(status, &error);
    return PyLong_FromLongLong(count);
}

/* dual_attention_matching_forward(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v,
 *                                 p, p_audio, p_visual, global_audio, global_visual, workspace_or_None) */
static PyObject *forward(PyObject *self, PyObject *args) {
    vtx_arg a[15] = {INPUTS(),
                     {.name = "p", .ndim = 2, .layout = "(N, T)", .writable = 1},
                     {.name = "p_audio", .ndim = 2, .layout = "(N, T)", .writable = 1},
                     {.name = "p_visual", .ndim = 2, .layout = "(N, T)", .writable = 1},
                     {.name = "global_audio", .ndim = 2, .layout = "(N, D)", .writable = 1},
                     {.name = "global_visual", .ndim = 2, .layout = "(N, D)", .writable = 1},
                     {.name = "workspace", .ndim = 1, .layout = "(workspace_count,)", .writable = 1, .optional = 1}};
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOO", &a[0].obj, &a[1].obj, &a[2].obj, &a[3].obj, &a[4].obj, &a[5].obj,
                          &a[6].obj, &a[7].obj, &a[8].obj, &a[9].obj, &a[10].obj, &a[11].obj, &a[12].obj, &a[13].obj,
                          &a[14].obj))
        return NULL;
    const char *fn = "dual_attention_matching";
    if (vtx_get_args(a, 15, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *f = a[0].view.shape;
    Py_ssize_t nt[2] = {f[0], f[1]}, nd[2] = {f[0], f[2]};
    if (check_inputs(a, fn) < 0) goto done;
    for (int i = 9; i < 14; i++)
        if (vtx_check_arg_shape(&a[i], i < 12 ? nt : nd, fn) < 0) goto done;
    if (check_workspace(&a[14], a, fn) < 0) goto done;
    int64_t dk = a[3].view.shape[1];
    vt_error error;
    int32_t status;
#define BUF(i) a[i].view.buf
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_dual_attention_matching_forward_f32(BUF(0), BUF(1), BUF(2), BUF(3), BUF(4), BUF(5), BUF(6), BUF(7),
                                                          BUF(8), BUF(9), BUF(10), BUF(11), BUF(12), BUF(13), BUF(14),
                                                          f[0], f[1], f[2], dk, &error)
                 : vt_dual_attention_matching_forward_f64(BUF(0), BUF(1), BUF(2), BUF(3), BUF(4), BUF(5), BUF(6), BUF(7),
                                                          BUF(8), BUF(9), BUF(10), BUF(11), BUF(12), BUF(13), BUF(14),
                                                          f[0], f[1], f[2], dk, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 15);
    return result;
}

/* dual_attention_matching_backward(grad_p, grad_p_audio, grad_p_visual, grad_global_audio,
 *     grad_global_visual, audio, visual, mask, wq_a, ..., wv_v, workspace_or_None, grad_audio,
 *     grad_visual, grad_wq_a, ..., grad_wv_v); None output gradients are zero, None input
 *     gradients are not computed. The inputs come first in the array here, so their dtype rules. */
static PyObject *backward(PyObject *self, PyObject *args) {
    vtx_arg a[23] = {INPUTS(),
                     {.name = "grad_p", .ndim = 2, .layout = "(N, T)", .optional = 1},
                     {.name = "grad_p_audio", .ndim = 2, .layout = "(N, T)", .optional = 1},
                     {.name = "grad_p_visual", .ndim = 2, .layout = "(N, T)", .optional = 1},
                     {.name = "grad_global_audio", .ndim = 2, .layout = "(N, D)", .optional = 1},
                     {.name = "grad_global_visual", .ndim = 2, .layout = "(N, D)", .optional = 1},
                     {.name = "grad_audio", .ndim = 3, .layout = FEATURES, .writable = 1, .optional = 1},
                     {.name = "grad_visual", .ndim = 3, .layout = FEATURES, .writable = 1, .optional = 1},
                     {.name = "grad_wq_a", .ndim = 2, .layout = "(D, Dk)", .writable = 1, .optional = 1},
                     {.name = "grad_wk_a", .ndim = 2, .layout = "(D, Dk)", .writable = 1, .optional = 1},
                     {.name = "grad_wv_a", .ndim = 2, .layout = "(D, D)", .writable = 1, .optional = 1},
                     {.name = "grad_wq_v", .ndim = 2, .layout = "(D, Dk)", .writable = 1, .optional = 1},
                     {.name = "grad_wk_v", .ndim = 2, .layout = "(D, Dk)", .writable = 1, .optional = 1},
                     {.name = "grad_wv_v", .ndim = 2, .layout = "(D, D)", .writable = 1, .optional = 1},
                     {.name = "workspace", .ndim = 1, .layout = "(workspace_count,)", .optional = 1}};
    PyObject **o[23];
    for (int i = 0; i < 23; i++) o[i] = &a[i].obj;
    /* Python order: the five output gradients, the nine inputs, the workspace, the eight input
     * gradients. */
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOOOOOOOOOO", o[9], o[10], o[11], o[12], o[13], o[0], o[1], o[2], o[3],
                          o[4], o[5], o[6], o[7], o[8], o[22], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21]))
        return NULL;
    const char *fn = "dual_attention_matching_backward";
    if (vtx_get_args(a, 23, fn) < 0) return NULL;
    PyObject *result = NULL;
    if (check_inputs(a, fn) < 0 || check_workspace(&a[22], a, fn) < 0) goto done;
    for (int i = 9; i < 22; i++) {
        const vtx_arg *like = i < 12 ? &a[2] : i < 14 ? NULL : i < 16 ? &a[0] : &a[3 + (i - 16)];
        if (like) {
            if (vtx_check_arg_shape(&a[i], like->view.shape, fn) < 0) goto done;
        } else {
            Py_ssize_t nd[2] = {a[0].view.shape[0], a[0].view.shape[2]};
            if (vtx_check_arg_shape(&a[i], nd, fn) < 0) goto done;
        }
    }
    const Py_ssize_t *f = a[0].view.shape;
    int64_t dk = a[3].view.shape[1];
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_dual_attention_matching_backward_f32(
                       BUF(9), BUF(10), BUF(11), BUF(12), BUF(13), BUF(0), BUF(1), BUF(2), BUF(3), BUF(4), BUF(5),
                       BUF(6), BUF(7), BUF(8), BUF(22), BUF(14), BUF(15), BUF(16), BUF(17), BUF(18), BUF(19), BUF(20),
                       BUF(21), f[0], f[1], f[2], dk, &error)
                 : vt_dual_attention_matching_backward_f64(
                       BUF(9), BUF(10), BUF(11), BUF(12), BUF(13), BUF(0), BUF(1), BUF(2), BUF(3), BUF(4), BUF(5),
                       BUF(6), BUF(7), BUF(8), BUF(22), BUF(14), BUF(15), BUF(16), BUF(17), BUF(18), BUF(19), BUF(20),
                       BUF(21), f[0], f[1], f[2], dk, &error);
    Py_END_ALLOW_THREADS
#undef BUF
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 23);
    return result;
}

PyMethodDef vtx_dual_attention_matching_methods[] = {
    {"dual_attention_matching_workspace_count", workspace_count, METH_VARARGS,
     "dual_attention_matching_workspace_count(n, t, d, dk) -> int"},
    {"dual_attention_matching_forward", forward, METH_VARARGS,
     "dual_attention_matching_forward(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v, p, p_audio, p_visual, "
     "global_audio, global_visual, workspace)"},
    {"dual_attention_matching_backward", backward, METH_VARARGS,
     "dual_attention_matching_backward(grad_p, grad_p_audio, grad_p_visual, grad_global_audio, grad_global_visual, "
     "audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v, workspace, grad_audio, grad_visual, grad_wq_a, grad_wk_a, "
     "grad_wv_a, grad_wq_v, grad_wk_v, grad_wv_v)"},
    {NULL, NULL, 0, NULL},
};
