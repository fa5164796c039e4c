#include "cli/usage.h"

namespace vslice::cli {

const char* MainUsage() {
  return "Usage: vslice <command> [ARGS...]\n"
         "\n"
         "Commands:\n"
         "  run      run a command in a pod with a GPU memory quota\n"
         "  status   show the node's pods, or one pod in full\n"
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
         "  --weight N               sharing weight within the pod's class, 1..1000,\n"
         "                           between the pods of a node registry\n"
         "  --priority CLASS         high, normal (default) or best-effort: a high pod\n"
         "                           gets the GPU at once, best-effort only idle time\n"
         "  --pod NAME               pod name: region NAME.region in the pod folder\n"
         "                           ($VSLICE_POD_DIR, else /tmp/vslice/pods), kept after\n"
         "                           the run (default: run-<pid>, removed after)\n"
         "  --region PATH            pod region file (beats --pod; kept after the run)\n"
         "  --no-limiter             do not start vslice-limiter\n"
         "  --library PATH           interceptor (default: $VSLICE_LIBRARY, else\n"
         "                           <vslice's folder>/../lib/libvslice.so)\n"
         "  --help                   show this text\n";
}

const char* StatusUsage() {
  return "Usage: vslice status [--pod NAME | --region PATH] [--registry PATH]\n"
         "                     [--interval MS] [--json]\n"
         "\n"
         "Without --pod or --region: every pod of the node, a line per pod and device\n"
         "(memory used and quota, cap, weight, device-time share, processes,\n"
         "limiter). The pods are those in the pod folder ($VSLICE_POD_DIR, else\n"
         "/tmp/vslice/pods), the pod of this environment ($VSLICE_REGION), and the\n"
         "pods of the node registry. With --pod or --region: that pod in full\n"
         "(limiter, devices, compute, processes, and the registry). Reaps dead\n"
         "processes first. The share is measured over --interval.\n"
         "\n"
         "Options:\n"
         "  --pod NAME        one pod: the region NAME.region in the pod folder (or\n"
         "                    the environment's region, when that is the pod's)\n"
         "  --region PATH     one pod: its region file\n"
         "  --registry PATH   node registry (default: $VSLICE_REGISTRY, else\n"
         "                    $NPU_GLOBAL_SHM_PATH, else the node's default,\n"
         "                    /tmp/vslice/node.registry; docs/CONFIGURATION.md)\n"
         "  --interval MS     measure shares over MS milliseconds, 0..60000 (default\n"
         "                    1000; 0: one reading, no shares)\n"
         "  --json            one JSON object instead of text\n"
         "  --help            show this text\n";
}

const char* TopUsage() {
  return "Usage: vslice top [--pod NAME | --region PATH] [--registry PATH]\n"
         "                  [--interval MS] [--iterations N]\n"
         "\n"
         "The report of `vslice status` (every pod of the node, or one), 80 columns\n"
         "wide, refreshed in place every interval until Ctrl-C.\n"
         "\n"
         "Options:\n"
         "  --pod NAME        one pod (as for status)\n"
         "  --region PATH     one pod: its region file\n"
         "  --registry PATH   node registry (default as for status)\n"
         "  --interval MS     time between reports, 100..60000 (default 1000)\n"
         "  --iterations N    stop after N reports (default 0: never)\n"
         "  --help            show this text\n";
}

const char* SetUsage() {
  return "Usage: vslice set [--pod NAME | --region PATH] [--device I] [--compute PCT]\n"
         "                  [--weight N] [--priority CLASS] [--memory SIZE]\n"
         "\n"
         "Changes a running pod's settings, on device I or on every device. Compute\n"
         "settings reach the pod's limiter within a millisecond; a memory quota\n"
         "applies to the next allocation and may not go below what the pod holds.\n"
         "Without --pod or --region: the one pod on this host (as status finds them).\n"
         "\n"
         "Options:\n"
         "  --pod NAME      the pod (as for status)\n"
         "  --region PATH   the pod's region file\n"
         "  --device I      only device I (0..15)\n"
         "  --compute PCT   compute cap in percent, 0..100 (0, 100: no cap)\n"
         "  --weight N      sharing weight within the pod's class, 1..1000\n"
         "  --priority CLASS  high, normal or best-effort\n"
         "  --memory SIZE   memory quota (1g, 512m, 1073741824, ...)\n"
         "  --help          show this text\n";
}

}  // namespace vslice::cli
