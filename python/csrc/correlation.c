/* vidtemporal._C bindings of local correlation. */
#include "vidtemporal_ext.h"

#define FEATURES "(B, C, H, W)"
#define VOLUME "(B, P, P, H, W)"

/* The volume's shape for features f and patch size p. */
static void volume_dims(const Py_ssize_t *f, long long p, Py_ssize_t *out) {
    out[0] = f[0], out[1] = (Py_ssize_t)p, out[2] = (Py_ssize_t)p, out[3] = f[2], out[4] = f[3];
}

/* correlation_forward(f1, f2, out, patch_size, dilation_patch) */
static PyObject *forward(PyObject *self, PyObject *args) {
    long long patch, dilation;
    vtx_arg a[3] = {{.name = "f1", .ndim = 4, .layout = FEATURES},
                    {.name = "f2", .ndim = 4, .layout = FEATURES},
                    {.name = "out", .ndim = 5, .layout = VOLUME, .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOOLL", &a[0].obj, &a[1].obj, &a[2].obj, &patch, &dilation)) return NULL;
    const char *fn = "correlation";
    if (vtx_get_args(a, 3, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *f = a[0].view.shape;
    Py_ssize_t volume[5];
    volume_dims(f, patch, volume);
    if (vtx_check_arg_shape(&a[1], f, fn) < 0 || (patch > 0 && vtx_check_arg_shape(&a[2], volume, fn) < 0)) goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32 ? vt_correlation_forward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, f[0], f[1],
                                                                f[2], f[3], patch, dilation, &error)
                                   : vt_correlation_forward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, f[0], f[1],
                                                                f[2], f[3], patch, dilation, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 3);
    return result;
}

/* correlation_backward(grad, f1, f2, grad_f1, grad_f2, patch_size, dilation_patch) */
static PyObject *backward(PyObject *self, PyObject *args) {
    long long patch, dilation;
    vtx_arg a[5] = {{.name = "grad", .ndim = 5, .layout = VOLUME},
                    {.name = "f1", .ndim = 4, .layout = FEATURES},
                    {.name = "f2", .ndim = 4, .layout = FEATURES},
                    {.name = "grad_f1", .ndim = 4, .layout = FEATURES, .writable = 1, .optional = 1},
                    {.name = "grad_f2", .ndim = 4, .layout = FEATURES, .writable = 1, .optional = 1}};
    if (!PyArg_ParseTuple(args, "OOOOOLL", &a[0].obj, &a[1].obj, &a[2].obj, &a[3].obj, &a[4].obj, &patch, &dilation))
        return NULL;
    const char *fn = "correlation_backward";
    if (vtx_get_args(a, 5, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *f = a[1].view.shape;
    Py_ssize_t volume[5];
    volume_dims(f, patch, volume);
    if (vtx_check_arg_shape(&a[2], f, fn) < 0 || (patch > 0 && vtx_check_arg_shape(&a[0], volume, fn) < 0) ||
        vtx_check_arg_shape(&a[3], f, fn) < 0 || vtx_check_arg_shape(&a[4], f, fn) < 0)
        goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_correlation_backward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                               a[4].view.buf, f[0], f[1], f[2], f[3], patch, dilation, &error)
                 : vt_correlation_backward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                               a[4].view.buf, f[0], f[1], f[2], f[3], patch, dilation, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 5);
    return result;
}

PyMethodDef vtx_correlation_methods[] = {
    {"correlation_forward", forward, METH_VARARGS, "correlation_forward(f1, f2, out, patch_size, dilation_patch)"},
    {"correlation_backward", backward, METH_VARARGS,
     "correlation_backward(grad, f1, f2, grad_f1, grad_f2, patch_size, dilation_patch)"},
    {NULL, NULL, 0, NULL},
};
