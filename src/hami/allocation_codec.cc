#include "hami/allocation_codec.h"

#include "hami/fields.h"

namespace vslice::hami {

std::string EncodeContainerShares(const ContainerShares& shares) {
  std::string out;
  for (const DeviceShare& s : shares) {
    out += s.uuid + ',' + s.vendor + ',' + std::to_string(s.mem_mib) + ',' + std::to_string(s.cores) + ':';
  }
  return out;
}

std::string EncodePodShares(const PodShares& pod) {
  std::string out;
  for (const ContainerShares& c : pod) out += EncodeContainerShares(c) + ';';
  return out;
}

bool DecodeContainerShares(std::string_view text, ContainerShares* shares, std::string* error) {
  shares->clear();
  for (std::string_view record : SplitFields(text, ':')) {
    if (record.empty()) continue;
    std::vector<std::string_view> f = SplitFields(record, ',');
    std::int64_t mem = 0, cores = 0;
    if (f.size() < 4 || f[0].empty() || !ParseWholeInt(f[2], &mem) || !ParseWholeInt(f[3], &cores) ||
        mem < 0 || cores < 0 || cores > (1 << 20)) {
      *error = "device entry " + QuoteField(record) + " is not UUID,TYPE,MEMORY_MIB,CORES (as HAMi's scheduler writes it)";
      return false;
    }
    shares->push_back({std::string(f[0]), std::string(f[1]), mem, static_cast<int>(cores)});
  }
  return true;
}

bool DecodePodShares(std::string_view text, PodShares* pod, std::string* error) {
  pod->clear();
  std::vector<std::string_view> groups = SplitFields(text, ';');
  if (!groups.empty() && groups.back().empty()) groups.pop_back();
  for (std::size_t i = 0; i < groups.size(); ++i) {
    ContainerShares shares;
    if (!DecodeContainerShares(groups[i], &shares, error)) return false;
    pod->push_back(std::move(shares));
  }
  return true;
}

}  // namespace vslice::hami
