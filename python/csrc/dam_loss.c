/* vidtemporal._C bindings of the DAM loss. Any shape: p and labels are flattened. */
#include "vidtemporal_ext.h"

static int get_pair(PyObject *p_obj, PyObject *labels_obj, vtx_arg *a, const char *fn) {
    a[0] = (vtx_arg){.obj = p_obj, .name = "p", .layout = "(any shape)"};
    a[1] = (vtx_arg){.obj = labels_obj, .name = "labels", .layout = "(the shape of p)"};
    /* Any ndim: read the actual one first so vtx_get_args accepts it. */
    for (int i = 0; i < 2; i++) {
        Py_buffer probe;
        if (PyObject_CheckBuffer(a[i].obj) && PyObject_GetBuffer(a[i].obj, &probe, PyBUF_STRIDES | PyBUF_FORMAT) == 0) {
            a[i].ndim = probe.ndim;
            PyBuffer_Release(&probe);
        } else {
            PyErr_Clear();
        }
    }
    if (vtx_get_args(a, 2, fn) < 0) return -1;
    if (vtx_check_same(&a[1].view, a[1].dtype, "labels", &a[0].view, a[0].dtype, "p", fn) < 0) {
        vtx_release_args(a, 2);
        return -1;
    }
    return 0;
}

/* dam_loss_forward(p, labels, out) with out a 1-element array. */
static PyObject *forward(PyObject *self, PyObject *args) {
    PyObject *p_obj, *labels_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "OOO", &p_obj, &labels_obj, &out_obj)) return NULL;
    const char *fn = "dam_loss";
    vtx_arg a[2];
    if (get_pair(p_obj, labels_obj, a, fn) < 0) return NULL;
    vtx_arg out = {.obj = out_obj, .name = "out", .ndim = 1, .layout = "(1,)", .writable = 1};
    static const Py_ssize_t scalar[1] = {1};
    PyObject *result = NULL;
    if (vtx_get_args(&out, 1, fn) < 0) goto release;
    if (vtx_check_dtype(out.dtype, "out", a[0].dtype, "p", fn) == 0 && vtx_check_arg_shape(&out, scalar, fn) == 0) {
        int64_t count = a[0].view.len / a[0].view.itemsize;
        vt_error error;
        int32_t status;
        Py_BEGIN_ALLOW_THREADS
        status = a[0].dtype == VTX_F32 ? vt_dam_loss_forward_f32(a[0].view.buf, a[1].view.buf, out.view.buf, count, &error)
                                       : vt_dam_loss_forward_f64(a[0].view.buf, a[1].view.buf, out.view.buf, count, &error);
        Py_END_ALLOW_THREADS
        result = vtx_result(status, &error);
    }
    vtx_release_args(&out, 1);
release:
    vtx_release_args(a, 2);
    return result;
}

/* dam_loss_backward(grad, p, labels, grad_p, grad_labels) with grad a 1-element array. */
static PyObject *backward(PyObject *self, PyObject *args) {
    PyObject *grad_obj, *p_obj, *labels_obj, *gp_obj, *gl_obj;
    if (!PyArg_ParseTuple(args, "OOOOO", &grad_obj, &p_obj, &labels_obj, &gp_obj, &gl_obj)) return NULL;
    const char *fn = "dam_loss_backward";
    vtx_arg a[2];
    if (get_pair(p_obj, labels_obj, a, fn) < 0) return NULL;
    vtx_arg g[3] = {{.obj = grad_obj, .name = "grad", .ndim = 1, .layout = "(1,)"},
                    {.obj = gp_obj, .name = "grad_p", .ndim = a[0].ndim, .layout = "(the shape of p)", .writable = 1},
                    {.obj = gl_obj, .name = "grad_labels", .ndim = a[0].ndim, .layout = "(the shape of p)",
                     .writable = 1}};
    PyObject *result = NULL;
    if (vtx_get_args(g, 3, fn) < 0) goto release;
    static const Py_ssize_t scalar[1] = {1};
    if (vtx_check_dtype(g[0].dtype, "grad", a[0].dtype, "p", fn) < 0 || vtx_check_arg_shape(&g[0], scalar, fn) < 0 ||
        vtx_check_arg_shape(&g[1], a[0].view.shape, fn) < 0 || vtx_check_arg_shape(&g[2], a[0].view.shape, fn) < 0)
        goto release_all;
    int64_t count = a[0].view.len / a[0].view.itemsize;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status =
        a[0].dtype == VTX_F32
            ? vt_dam_loss_backward_f32(g[0].view.buf, a[0].view.buf, a[1].view.buf, g[1].view.buf, g[2].view.buf, count,
                                       &error)
            : vt_dam_loss_backward_f64(g[0].view.buf, a[0].view.buf, a[1].view.buf, g[1].view.buf, g[2].view.buf, count,
                                       &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
release_all:
    vtx_release_args(g, 3);
release:
    vtx_release_args(a, 2);
    return result;
}

PyMethodDef vtx_dam_loss_methods[] = {
    {"dam_loss_forward", forward, METH_VARARGS, "dam_loss_forward(p, labels, out)"},
    {"dam_loss_backward", backward, METH_VARARGS, "dam_loss_backward(grad, p, labels, grad_p, grad_labels)"},
    {NULL, NULL, 0, NULL},
};
