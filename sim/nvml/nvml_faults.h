// Device faults of the simulated GPU, for health tests: VSLICE_SIM_FAULTS
// names a text file, re-read by NVML whenever health can show, to which a
// test appends lines (docs/SIMULATOR.md, "Faults"):
//   <device> xid <code>   an Xid critical error on <device>
//   <device> lost         the GPU fell off the bus (Xid 79; memory, name and
//                         utilization queries return NVML_ERROR_GPU_IS_LOST)
// Blank lines and lines starting with '#' are skipped; a malformed line is
// reported once on stderr and skipped.
#ifndef VSLICE_SIM_NVML_NVML_FAULTS_H_
#define VSLICE_SIM_NVML_NVML_FAULTS_H_

#include <string>
#include <vector>

namespace vslice::sim {

struct DeviceFault {
  int device = 0;
  bool lost = false;
  unsigned long long xid = 0;  // 79 for a lost device
};

// The faults in the order they were written (empty when the variable is
// unset or the file does not exist yet).
std::vector<DeviceFault> ReadFaults();
// Parses the file's text (exposed for the self-test).
std::vector<DeviceFault> ParseFaults(const std::string& text, std::string* bad_line);
bool DeviceLost(int device);

}  // namespace vslice::sim

#endif  // VSLICE_SIM_NVML_NVML_FAULTS_H_
