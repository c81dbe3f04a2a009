/* vidtemporal._C bindings of the fused Motion Squeeze op. */
#include "vidtemporal_ext.h"

#define FEATURES "(N*T, C, H, W)"
#define MAPS "(N*T, 3, H, W)"

/* motion_squeeze_forward(x, out, num_segments, patch_size, sigma, temperature, normalize) */
static PyObject *forward(PyObject *self, PyObject *args) {
    long long num_segments, patch;
    double sigma, temperature;
    int normalize;
    vtx_arg a[2] = {{.name = "x", .ndim = 4, .layout = FEATURES},
                    {.name = "out", .ndim = 4, .layout = MAPS, .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOLLddp", &a[0].obj, &a[1].obj, &num_segments, &patch, &sigma, &temperature,
                          &normalize))
        return NULL;
    const char *fn = "motion_squeeze";
    if (vtx_get_args(a, 2, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *s = a[0].view.shape;
    Py_ssize_t maps[4] = {s[0], 3, s[2], s[3]};
    if (vtx_check_arg_shape(&a[1], maps, fn) < 0) goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_motion_squeeze_forward_f32(a[0].view.buf, a[1].view.buf, s[0], s[1], s[2], s[3], num_segments,
                                                 patch, sigma, temperature, normalize, &error)
                 : vt_motion_squeeze_forward_f64(a[0].view.buf, a[1].view.buf, s[0], s[1], s[2], s[3], num_segments,
                                                 patch, sigma, temperature, normalize, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 2);
    return result;
}

/* motion_squeeze_backward(grad, x, grad_x, num_segments, patch_size, sigma, temperature, normalize) */
static PyObject *backward(PyObject *self, PyObject *args) {
    long long num_segments, patch;
    double sigma, temperature;
    int normalize;
    vtx_arg a[3] = {{.name = "x", .ndim = 4, .layout = FEATURES},
                    {.name = "grad", .ndim = 4, .layout = MAPS},
                    {.name = "grad_x", .ndim = 4, .layout = FEATURES, .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOOLLddp", &a[1].obj, &a[0].obj, &a[2].obj, &num_segments, &patch, &sigma,
                          &temperature, &normalize))
        return NULL;
    const char *fn = "motion_squeeze_backward";
    if (vtx_get_args(a, 3, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *s = a[0].view.shape;
    Py_ssize_t maps[4] = {s[0], 3, s[2], s[3]};
    if (vtx_check_arg_shape(&a[1], maps, fn) < 0 || vtx_check_arg_shape(&a[2], s, fn) < 0) goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_motion_squeeze_backward_f32(a[1].view.buf, a[0].view.buf, a[2].view.buf, s[0], s[1], s[2], s[3],
                                                  num_segments, patch, sigma, temperature, normalize, &error)
                 : vt_motion_squeeze_backward_f64(a[1].view.buf, a[0].view.buf, a[2].view.buf, s[0], s[1], s[2], s[3],
                                                  num_segments, patch, sigma, temperature, normalize, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 3);
    return result;
}

PyMethodDef vtx_motion_squeeze_methods[] = {
    {"motion_squeeze_forward", forward, METH_VARARGS,
     "motion_squeeze_forward(x, out, num_segments, patch_size, sigma, temperature, normalize)"},
    {"motion_squeeze_backward", backward, METH_VARARGS,
     "motion_squeeze_backward(grad, x, grad_x, num_segments, patch_size, sigma, temperature, normalize)"},
    {NULL, NULL, 0, NULL},
};
