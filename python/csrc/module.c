/* vidtemporal._C: module init (multi-phase), the ABI check, the status -> exception map and the
 * library-wide functions. The op entry points are in ops_generated.c. */
#include "vidtemporal_ext.h"

#include <stdarg.h>
#include <string.h>

typedef struct {
    PyObject *unsupported; /* vidtemporal._C.UnsupportedError */
} module_state;

static module_state *state_of(PyObject *module) { return PyModule_GetState(module); }

PyObject *vtx_raise(PyObject *type, const char *fn, const char *argument, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    PyObject *detail = PyUnicode_FromFormatV(format, arguments);
    va_end(arguments);
    PyObject *message = detail ? PyUnicode_FromFormat("%s: %U", fn, detail) : NULL;
    PyObject *error = message ? PyObject_CallFunctionObjArgs(type, message, NULL) : NULL;
    PyObject *function = error ? PyUnicode_FromString(fn) : NULL;
    PyObject *name = function ? PyUnicode_FromString(argument ? argument : "") : NULL;
    if (name && PyObject_SetAttrString(error, "function", function) == 0 &&
        PyObject_SetAttrString(error, "argument", name) == 0 && PyObject_SetAttrString(error, "detail", detail) == 0)
        PyErr_SetObject(type, error);
    Py_XDECREF(detail), Py_XDECREF(message), Py_XDECREF(error), Py_XDECREF(function), Py_XDECREF(name);
    return NULL;
}

PyObject *vtx_result(PyObject *module, const char *fn, int32_t status, const vt_error *error) {
    if (status == VT_OK) Py_RETURN_NONE;
    PyObject *type;
    switch (status) {
    case VT_ERR_INVALID_ARGUMENT:
    case VT_ERR_SHAPE_MISMATCH: type = PyExc_ValueError; break;
    case VT_ERR_UNSUPPORTED: type = state_of(module)->unsupported; break;
    case VT_ERR_ALLOCATION: type = PyExc_MemoryError; break;
    default: type = PyExc_RuntimeError; break; /* a NULL pointer here is the extension's bug */
    }
    /* The library's message is "vt_<fn>: <detail>": the detail is what follows the prefix. */
    const char *detail = error->message[0] ? error->message : vt_status_string(status);
    size_t length = strlen(fn);
    if (strncmp(detail, "vt_", 3) == 0 && strncmp(detail + 3, fn, length) == 0 && strncmp(detail + 3 + length, ": ", 2) == 0)
        detail += 5 + length;
    return vtx_raise(type, fn, error->argument, "%s", detail);
}

static PyObject *set_num_threads(PyObject *module, PyObject *arg) {
    int32_t n;
    if (vtx_int32(arg, "set_num_threads", "n", &n) < 0) return NULL;
    vt_error error;
    return vtx_result(module, "set_num_threads", vt_set_num_threads(n, &error), &error);
}

static PyObject *get_num_threads(PyObject *module, PyObject *unused) {
    return PyLong_FromLong(vt_get_num_threads());
}

static PyObject *version(PyObject *module, PyObject *unused) {
    return PyUnicode_FromString(vt_version_string());
}

static PyObject *cpu_dispatch(PyObject *module, PyObject *unused) {
    return PyUnicode_FromString(vt_cpu_dispatch());
}

/* blas_info() -> {"name", "version", "core", "threads"}: vt_get_blas_info. */
static PyObject *blas_info(PyObject *module, PyObject *unused) {
    vt_blas_info info;
    vt_error error;
    int32_t status = vt_get_blas_info(&info, &error);
    if (status != VT_OK) return vtx_result(module, "blas_info", status, &error);
    return Py_BuildValue("{s:s,s:s,s:s,s:i}", "name", info.name, "version", info.version, "core", info.core,
                         "threads", (int)info.threads);
}

static PyMethodDef library_methods[] = {
    {"set_num_threads", set_num_threads, METH_O, "set_num_threads(n): threads per call; 0 = one per CPU."},
    {"get_num_threads", get_num_threads, METH_NOARGS, "get_num_threads() -> int"},
    {"version", version, METH_NOARGS, "version() -> the library's version string"},
    {"cpu_dispatch", cpu_dispatch, METH_NOARGS, "cpu_dispatch() -> the kernel build that runs"},
    {"blas_info", blas_info, METH_NOARGS, "blas_info() -> the BLAS and the kernel set it runs"},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *module) {
    if (vt_abi_version() != VT_ABI_VERSION) {
        PyErr_Format(PyExc_ImportError, "vidtemporal._C was built for ABI %d but libvidtemporal.so implements %d",
                     VT_ABI_VERSION, vt_abi_version());
        return -1;
    }
    PyObject *bases = PyTuple_Pack(2, PyExc_TypeError, PyExc_ValueError);
    if (!bases) return -1;
    module_state *state = state_of(module);
    state->unsupported = PyErr_NewExceptionWithDoc(
        "vidtemporal.UnsupportedError",
        "A valid request this build cannot serve: a dtype, device or memory layout the op does not take.\n"
        "It is both a TypeError and a ValueError.", bases, NULL);
    Py_DECREF(bases);
    if (!state->unsupported || PyModule_AddObjectRef(module, "UnsupportedError", state->unsupported) < 0) return -1;
    if (PyModule_AddFunctions(module, vtx_op_methods) < 0 || PyModule_AddFunctions(module, vtx_stream_methods) < 0)
        return -1;
    return 0;
}

static int traverse(PyObject *module, visitproc visit, void *arg) {
    Py_VISIT(state_of(module)->unsupported);
    return 0;
}

static int clear(PyObject *module) {
    Py_CLEAR(state_of(module)->unsupported);
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "vidtemporal._C",
    .m_doc = "Thin bindings of libvidtemporal: DLPack tensors in, the GIL released around each library call.",
    .m_size = sizeof(module_state),
    .m_methods = library_methods,
    .m_slots = slots,
    .m_traverse = traverse,
    .m_clear = clear,
};

PyMODINIT_FUNC PyInit__C(void) { return PyModuleDef_Init(&module_def); }
