"""Grading kernels: how a kernel for one submission is described, started, contained and stopped.

One module a job, in the order a kernel meets them:
`spec` (`Limits` and `KernelSpec`: environment, limits, files and data folder, rendered once for every kind),
`sandbox` (bubblewrap: what a sandbox shows, and whether it works here), `seccomp` (the system-call filter),
`limits` (the resource limits every launcher sets), `preimport` (the assignment's imports, done ahead),
`launch` (the launcher, `python -m` of this module),
`protocol` (`Kernel` and `KernelProvider`: what the grader needs of any kernel and of any way to start one),
`client` (the grader's side of a kernel's sockets, with bounded messages), `process` (a kernel started as its own
process by jupyter_client, plain or in bubblewrap), `forkserver` and `forkserver_program` (kernels forked from one
server per batch), `providers` (local, bubblewrap and fork-server providers, chosen in one place:
`open_provider`), `watchdog` and `memory` (the memory of a kernel with its children, and the cap the grader keeps
with it).
"""
