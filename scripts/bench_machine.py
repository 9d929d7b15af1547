"""Prints what the PyTorch side of a benchmark runs on: CPU, torch, its CPU capability, the BLAS it calls, threads.
Also the /proc/self/status reader the PyTorch sides share (peak RSS: VmHWM)."""
import os
import sys

import torch


def proc_status(field):
    """A kB field of /proc/self/status (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
    torch.set_num_threads(threads)
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    capability = next((l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
                       if "CPU capability" in l), "not reported by this torch")
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    core = os.environ.get("OPENBLAS_CORETYPE", "auto")
    print(f"# PyTorch side: {model} | torch {torch.__version__}, CPU capability {capability}, BLAS {blas} "
          f"(OPENBLAS_CORETYPE={core}) | {threads} torch threads", file=sys.stderr)


if __name__ == "__main__":
    main()
