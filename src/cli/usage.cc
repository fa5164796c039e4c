#include "cli/usage.h"

namespace vslice::cli {

const char* MainUsage() {
  return "Usage: vslice <command> [ARGS...]\n"
         "\n"
         "Commands:\n"
         "  run      run a command in a pod with a GPU memory quota\n"
         "  status   show a pod (limiter, memory, compute, processes) and the node's pods\n"
         "  top      the same, refreshed live\n"
         "  set      change a running pod's compute cap, weight, priority or memory quota\n"
         "  version  print the version\n"
         "  help     show this text, or `vslice help <command>`\n"
         "\n"
         "Run `vslice <command> --help` for a command's options.\n";
}

const char* RunUsage() {
  return "Usage: vslice run [OPTIONS] -- COMMAND [ARGS...]\n"
         "\n"
         "Runs COMMAND with the vslice interceptor preloaded, in a pod whose\n"
         "processes share one GPU memory quota. Exits with COMMAND's status\n"
         "(128+N if it was killed by signal N).\n"
         "\n"
         "Options:\n"
         "  --memory SIZE            quota for every device (1g, 512m, 1073741824, ...)\n"
         "  --memory-device I=SIZE   quota for device I (0..15); repeatable; beats --memory\n"
         "  --compute PCT            compute cap in percent, 0..100 (0, 100: no cap)\n"
         "  --weight N               sharing weight within the pod's class, 1..1000\n"
         "  --priority CLASS         high, normal (default) or best-effort: a high pod\n"
         "                           gets the GPU at once, best-effort only idle time\n"
         "  --pod NAME               pod name: region /tmp/vslice/pods/NAME.region, kept\n"
         "                           after the run (default: run-<pid>, removed after)\n"
         "  --region PATH            pod region file (beats --pod; kept after the run)\n"
         "  --no-limiter             do not start vslice-limiter\n"
         "  --library PATH           interceptor (default: $VSLICE_LIBRARY, else\n"
         "                           <vslice's folder>/../lib/libvslice.so)\n"
         "  --help                   show this text\n";
}

const char* StatusUsage() {
  return "Usage: vslice status [--region PATH] [--registry PATH] [--interval MS] [--json]\n"
         "\n"
         "Shows a pod region: limiter health, per-device memory quota and usage,\n"
         "compute cap, weight, device-time share and throttled time, and the active\n"
         "processes; with a node registry, every pod of the node too. Reaps dead\n"
         "processes first. The share is measured over --interval.\n"
         "\n"
         "Options:\n"
         "  --region PATH     region file (default: $VSLICE_REGION, else\n"
         "                    $CUDA_DEVICE_MEMORY_SHARED_CACHE, else /tmp/vslice.region)\n"
         "  --registry PATH   node registry (default: $VSLICE_REGISTRY, else\n"
         "                    $NPU_GLOBAL_SHM_PATH, else none)\n"
         "  --interval MS     measure shares over MS milliseconds, 0..60000 (default\n"
         "                    1000; 0: one reading, no shares)\n"
         "  --json            one JSON object instead of text\n"
         "  --help            show this text\n";
}

const char* TopUsage() {
  return "Usage: vslice top [--region PATH] [--registry PATH] [--interval MS]\n"
         "                  [--iterations N]\n"
         "\n"
         "The report of `vslice status`, 80 columns wide, refreshed in place every\n"
         "interval until Ctrl-C.\n"
         "\n"
         "Options:\n"
         "  --region PATH     region file (default as for status)\n"
         "  --registry PATH   node registry (default as for status)\n"
         "  --interval MS     time between reports, 100..60000 (default 1000)\n"
         "  --iterations N    stop after N reports (default 0: never)\n"
         "  --help            show this text\n";
}

const char* SetUsage() {
  return "Usage: vslice set [--region PATH] [--device I] [--compute PCT] [--weight N]\n"
         "                  [--priority CLASS] [--memory SIZE]\n"
         "\n"
         "Changes a running pod's settings, on device I or on every device. Compute\n"
         "settings reach the pod's limiter within a millisecond; a memory quota\n"
         "applies to the next allocation and may not go below what the pod holds.\n"
         "\n"
         "Options:\n"
         "  --region PATH   the pod's region (default: VSLICE_REGION or\n"
         "                  CUDA_DEVICE_MEMORY_SHARED_CACHE, else /tmp/vslice.region)\n"
         "  --device I      only device I (0..15)\n"
         "  --compute PCT   compute cap in percent, 0..100 (0, 100: no cap)\n"
         "  --weight N      sharing weight within the pod's class, 1..1000\n"
         "  --priority CLASS  high, normal or best-effort\n"
         "  --memory SIZE   memory quota (1g, 512m, 1073741824, ...)\n"
         "  --help          show this text\n";
}

}  // namespace vslice::cli
