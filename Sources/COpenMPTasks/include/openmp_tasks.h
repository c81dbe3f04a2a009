// Runs a kernel's tasks on the process's OpenMP threads when the process has GNU OpenMP loaded
// (torch does): torch's OpenMP threads spin for a while after each of its ops, and tasks on
// threads of our own would share the cores with them. Internal to libvidtemporal.
#pragma once

/// One task of a job: `task` in [0, tasks).
typedef void (*vts_task_function)(void *context, long task);

/// Runs fn(context, task) for every task in [0, tasks) on at most `threads` OpenMP threads (0:
/// the runtime's omp_get_max_threads, i.e. torch.set_num_threads), the calling thread among them,
/// and returns 1; returns 0, running nothing, when no GNU OpenMP runtime is loaded in the process
/// at the time of the call, in a child forked after this library was loaded, or when the
/// environment sets VT_THREADING=dispatch. Each calling thread gets its own OpenMP team (the
/// runtime's rule for threads outside a parallel region); a call from inside one runs its tasks
/// on a team of one.
/// Hidden: the library's own helper, not part of its exported ABI.
__attribute__((visibility("hidden")))
int vts_run_on_openmp(long tasks, long threads, void *context, vts_task_function fn);
