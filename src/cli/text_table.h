// Left-aligned text columns: every cell padded to its column's widest cell,
// columns two spaces apart, each line indented and without trailing spaces.
#ifndef VSLICE_CLI_TEXT_TABLE_H_
#define VSLICE_CLI_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace vslice::cli {

class TextTable {
 public:
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // The table, one '\n'-terminated line per row, each prefixed by `indent`.
  std::string Render(const std::string& indent) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace vslice::cli

#endif  // VSLICE_CLI_TEXT_TABLE_H_
