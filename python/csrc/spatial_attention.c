/* vidtemporal._C bindings of spatial attention. */
#include "vidtemporal_ext.h"

/* q, k: (B, d, S); v (and y, grads of v): (B, dv, S); lse: (B, S). */
static int check_shapes(const vtx_arg *q, const vtx_arg *k, const vtx_arg *v, const vtx_arg *lse, const char *fn) {
    const Py_ssize_t *qs = q->view.shape;
    Py_ssize_t vs[3] = {qs[0], v->view.shape[1], qs[2]}, ls[2] = {qs[0], qs[2]};
    if (vtx_check_arg_shape(k, qs, fn) < 0 || vtx_check_arg_shape(v, vs, fn) < 0) return -1;
    return lse ? vtx_check_arg_shape(lse, ls, fn) : 0;
}

/* spatial_attention_forward(q, k, v, out, lse_or_None) */
static PyObject *forward(PyObject *self, PyObject *args) {
    vtx_arg a[5] = {{.name = "q", .ndim = 3, .layout = "(B, d, S)"},
                    {.name = "k", .ndim = 3, .layout = "(B, d, S)"},
                    {.name = "v", .ndim = 3, .layout = "(B, dv, S)"},
                    {.name = "out", .ndim = 3, .layout = "(B, dv, S)", .writable = 1},
                    {.name = "lse", .ndim = 2, .layout = "(B, S)", .writable = 1, .optional = 1}};
    if (!PyArg_ParseTuple(args, "OOOOO", &a[0].obj, &a[1].obj, &a[2].obj, &a[3].obj, &a[4].obj)) return NULL;
    const char *fn = "spatial_attention";
    if (vtx_get_args(a, 5, fn) < 0) return NULL;
    PyObject *result = NULL;
    if (check_shapes(&a[0], &a[1], &a[2], &a[4], fn) < 0 || vtx_check_arg_shape(&a[3], a[2].view.shape, fn) < 0)
        goto done;
    const Py_ssize_t *q = a[0].view.shape;
    Py_ssize_t dv = a[2].view.shape[1];
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32 ? vt_spatial_attention_forward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf,
                                                                      a[3].view.buf, a[4].view.buf, q[0], q[1], dv,
                                                                      q[2], &error)
                                   : vt_spatial_attention_forward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf,
                                                                      a[3].view.buf, a[4].view.buf, q[0], q[1], dv,
                                                                      q[2], &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 5);
    return result;
}

/* spatial_attention_backward(grad, q, k, v, lse_or_None, grad_q, grad_k, grad_v) */
static PyObject *backward(PyObject *self, PyObject *args) {
    vtx_arg a[8] = {{.name = "grad", .ndim = 3, .layout = "(B, dv, S)"},
                    {.name = "q", .ndim = 3, .layout = "(B, d, S)"},
                    {.name = "k", .ndim = 3, .layout = "(B, d, S)"},
                    {.name = "v", .ndim = 3, .layout = "(B, dv, S)"},
                    {.name = "lse", .ndim = 2, .layout = "(B, S)", .optional = 1},
                    {.name = "grad_q", .ndim = 3, .layout = "(B, d, S)", .writable = 1, .optional = 1},
                    {.name = "grad_k", .ndim = 3, .layout = "(B, d, S)", .writable = 1, .optional = 1},
                    {.name = "grad_v", .ndim = 3, .layout = "(B, dv, S)", .writable = 1, .optional = 1}};
    if (!PyArg_ParseTuple(args, "OOOOOOOO", &a[0].obj, &a[1].obj, &a[2].obj, &a[3].obj, &a[4].obj, &a[5].obj,
                          &a[6].obj, &a[7].obj))
        return NULL;
    const char *fn = "spatial_attention_backward";
    if (vtx_get_args(a, 8, fn) < 0) return NULL;
    PyObject *result = NULL;
    if (check_shapes(&a[1], &a[2], &a[3], &a[4], fn) < 0 || vtx_check_arg_shape(&a[0], a[3].view.shape, fn) < 0 ||
        vtx_check_arg_shape(&a[5], a[1].view.shape, fn) < 0 || vtx_check_arg_shape(&a[6], a[1].view.shape, fn) < 0 ||
        vtx_check_arg_shape(&a[7], a[3].view.shape, fn) < 0)
        goto done;
    const Py_ssize_t *q = a[1].view.shape;
    Py_ssize_t dv = a[3].view.shape[1];
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_spatial_attention_backward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                                     a[4].view.buf, a[5].view.buf, a[6].view.buf, a[7].view.buf,
                                                     q[0], q[1], dv, q[2], &error)
                 : vt_spatial_attention_backward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                                     a[4].view.buf, a[5].view.buf, a[6].view.buf, a[7].view.buf,
                                                     q[0], q[1], dv, q[2], &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 8);
    return result;
}

PyMethodDef vtx_spatial_attention_methods[] = {
    {"spatial_attention_forward", forward, METH_VARARGS, "spatial_attention_forward(q, k, v, out, lse)"},
    {"spatial_attention_backward", backward, METH_VARARGS,
     "spatial_attention_backward(grad, q, k, v, lse, grad_q, grad_k, grad_v)"},
    {NULL, NULL, 0, NULL},
};
