// Runs a kernel's tasks on the process's OpenMP threads when the process has GNU OpenMP loaded
// (torch does): torch's OpenMP threads spin for a while after each of its ops, and tasks on
// threads of our own would share the cores with them. Internal to libvidtemporal.
#pragma once

/// One task of a job: `task` in [0, tasks).
typedef void (*vts_task_function)(void *context, long task);

/// Runs fn(context, task) for every task in [0, tasks) on at most `threads` OpenMP threads (the
/// calling thread among them) and returns 1; returns 0, running nothing, when the process has no
/// GNU OpenMP runtime loaded, in a child forked after this library was loaded, or when the
/// environment sets VT_THREADING=dispatch.
int vts_run_on_openmp(long tasks, long threads, void *context, vts_task_function fn);
