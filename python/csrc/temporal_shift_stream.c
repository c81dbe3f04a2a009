/* The streaming shift's lifecycle in vidtemporal._C: the state lives in a capsule that frees it.
 * (Its step is a generated entry point, which takes the capsule first.) */
#include "vidtemporal_ext.h"

#define STREAM_CAPSULE "vidtemporal.temporal_shift_stream"

vt_temporal_shift_stream *vtx_handle_stream(PyObject *capsule, const char *fn) {
    if (!PyCapsule_IsValid(capsule, STREAM_CAPSULE)) {
        vtx_type_error(fn, "stream", "a capsule from temporal_shift_stream_create", capsule);
        return NULL;
    }
    return PyCapsule_GetPointer(capsule, STREAM_CAPSULE);
}

static void stream_capsule_free(PyObject *capsule) {
    vt_temporal_shift_stream_free(PyCapsule_GetPointer(capsule, STREAM_CAPSULE));
}

/* temporal_shift_stream_create(frame, fold_div) -> a stream for frames shaped and typed like
 * frame (N, C, H, W). */
static PyObject *create(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    const char *fn = "temporal_shift_stream_create";
    static const vtx_spec spec = {"frame", 0, 0};
    int64_t fold_div;
    vtx_tensor frame;
    if (vtx_arity(fn, nargs, 2) < 0 || vtx_int64(args[1], fn, "fold_div", &fold_div) < 0 ||
        vtx_get_tensors(args, fn, &spec, 1, &frame) < 0)
        return NULL;
    vt_temporal_shift_stream *stream = NULL;
    vt_error error;
    int32_t status = vt_temporal_shift_stream_create(frame.dl, fold_div, &stream, &error);
    vtx_release_tensors(&frame, 1);
    if (status != VT_OK) return vtx_result(module, fn, status, &error);
    PyObject *capsule = PyCapsule_New(stream, STREAM_CAPSULE, stream_capsule_free);
    if (!capsule) vt_temporal_shift_stream_free(stream);
    return capsule;
}

static PyObject *reset(PyObject *module, PyObject *capsule) {
    const char *fn = "temporal_shift_stream_reset";
    vt_temporal_shift_stream *stream = vtx_handle_stream(capsule, fn);
    if (!stream) return NULL;
    vt_error error;
    return vtx_result(module, fn, vt_temporal_shift_stream_reset(stream, &error), &error);
}

PyMethodDef vtx_stream_methods[] = {
    {"temporal_shift_stream_create", (PyCFunction)(void (*)(void))create, METH_FASTCALL,
     "temporal_shift_stream_create(frame, fold_div) -> stream"},
    {"temporal_shift_stream_reset", reset, METH_O, "temporal_shift_stream_reset(stream)"},
    {NULL, NULL, 0, NULL},
};
