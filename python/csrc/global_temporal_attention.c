/* vidtemporal._C bindings of global temporal attention (the cross-channel temporal mixing). */
#include "vidtemporal_ext.h"

#define V_LAYOUT "(N*T, C, S)"
#define ATTN_LAYOUT "(G, G, T, T)"

/* attn must be (G, G, T, T) with G = attn.shape[0] and T = num_segments. */
static int check_attn(const vtx_arg *attn, long long num_segments, const char *fn) {
    if (num_segments < 1) return 0; /* the library reports it */
    Py_ssize_t g = attn->view.shape[0], dims[4] = {g, g, (Py_ssize_t)num_segments, (Py_ssize_t)num_segments};
    return vtx_check_arg_shape(attn, dims, fn);
}

/* global_temporal_attention_forward(v, attn, out, num_segments) */
static PyObject *forward(PyObject *self, PyObject *args) {
    long long num_segments;
    vtx_arg a[3] = {{.name = "v", .ndim = 3, .layout = V_LAYOUT},
                    {.name = "attn", .ndim = 4, .layout = ATTN_LAYOUT},
                    {.name = "out", .ndim = 3, .layout = V_LAYOUT, .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOOL", &a[0].obj, &a[1].obj, &a[2].obj, &num_segments)) return NULL;
    const char *fn = "global_temporal_attention";
    if (vtx_get_args(a, 3, fn) < 0) return NULL;
    PyObject *result = NULL;
    if (check_attn(&a[1], num_segments, fn) < 0 || vtx_check_arg_shape(&a[2], a[0].view.shape, fn) < 0) goto done;
    const Py_ssize_t *s = a[0].view.shape;
    int64_t groups = a[1].view.shape[0];
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_global_temporal_attention_forward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, s[0], s[1],
                                                            s[2], num_segments, groups, &error)
                 : vt_global_temporal_attention_forward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, s[0], s[1],
                                                            s[2], num_segments, groups, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 3);
    return result;
}

/* global_temporal_attention_backward(grad, v, attn, grad_v, grad_attn, num_segments); a None
 * gradient output is not computed. */
static PyObject *backward(PyObject *self, PyObject *args) {
    long long num_segments;
    vtx_arg a[5] = {{.name = "grad", .ndim = 3, .layout = V_LAYOUT},
                    {.name = "v", .ndim = 3, .layout = V_LAYOUT},
                    {.name = "attn", .ndim = 4, .layout = ATTN_LAYOUT},
                    {.name = "grad_v", .ndim = 3, .layout = V_LAYOUT, .writable = 1, .optional = 1},
                    {.name = "grad_attn", .ndim = 4, .layout = ATTN_LAYOUT, .writable = 1, .optional = 1}};
    if (!PyArg_ParseTuple(args, "OOOOOL", &a[0].obj, &a[1].obj, &a[2].obj, &a[3].obj, &a[4].obj, &num_segments))
        return NULL;
    const char *fn = "global_temporal_attention_backward";
    if (vtx_get_args(a, 5, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *s = a[1].view.shape;
    if (vtx_check_arg_shape(&a[0], s, fn) < 0 || check_attn(&a[2], num_segments, fn) < 0 ||
        vtx_check_arg_shape(&a[3], s, fn) < 0 || vtx_check_arg_shape(&a[4], a[2].view.shape, fn) < 0)
        goto done;
    int64_t groups = a[2].view.shape[0];
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_global_temporal_attention_backward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf,
                                                             a[3].view.buf, a[4].view.buf, s[0], s[1], s[2],
                                                             num_segments, groups, &error)
                 : vt_global_temporal_attention_backward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf,
                                                             a[3].view.buf, a[4].view.buf, s[0], s[1], s[2],
                                                             num_segments, groups, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 5);
    return result;
}

PyMethodDef vtx_global_temporal_attention_methods[] = {
    {"global_temporal_attention_forward", forward, METH_VARARGS,
     "global_temporal_attention_forward(v, attn, out, num_segments)"},
    {"global_temporal_attention_backward", backward, METH_VARARGS,
     "global_temporal_attention_backward(grad, v, attn, grad_v, grad_attn, num_segments)"},
    {NULL, NULL, 0, NULL},
};
