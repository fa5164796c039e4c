// docs/CONFIGURATION.md against the table of settings (core/settings_table.h),
// both ways: every row has its summary line in the docs, word for word
// (names in precedence order, form, default, range, readers, meaning), and
// every variable the docs' tables name is a name of some row. A row changed
// without the docs, or the docs without the table, fails here with the line
// the docs should have.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/settings_table.h"

#ifndef VSLICE_SOURCE_DIR
#error "VSLICE_SOURCE_DIR must name the source tree (tests/CMakeLists.txt)"
#endif

namespace vslice {
namespace {

const char* FormWords(SettingForm form) {
  switch (form) {
    case SettingForm::kBool: return "boolean";
    case SettingForm::kSize: return "size";
    case SettingForm::kInteger: return "integer";
    case SettingForm::kPath: return "absolute path";
    case SettingForm::kFile: return "path";
    case SettingForm::kChoice: return "name";
    case SettingForm::kAddress: return "address";
    case SettingForm::kDeviceList: return "list of ids";
  }
  return "?";
}

std::string RangeWords(const SettingRow& row) {
  switch (row.form) {
    case SettingForm::kBool: return "true/false, 1/0, yes/no, on/off";
    case SettingForm::kSize: return "0 to 2^64 - 1 bytes";
    case SettingForm::kInteger: return std::to_string(row.min) + ".." + std::to_string(row.max);
    case SettingForm::kPath:
    case SettingForm::kFile: return "at most " + std::to_string(row.max) + " bytes";
    case SettingForm::kChoice:
    case SettingForm::kAddress: return row.expected;
    case SettingForm::kDeviceList: return "logical ids, comma-separated";
  }
  return "?";
}

std::string ReaderWords(unsigned readers) {
  std::string out;
  const std::pair<unsigned, const char*> kReaders[] = {
      {kReadByInterceptor, "interceptor"}, {kReadByLimiter, "limiter"}, {kReadByCli, "CLI"}};
  for (const auto& [bit, word] : kReaders) {
    if ((readers & bit) == 0) continue;
    out += (out.empty() ? "" : ", ") + std::string(word);
  }
  return out;
}

// The row's line in the docs' summary table:
// | names | form | default | range | read by | meaning |
std::string SummaryLine(const SettingRow& row) {
  std::string names;
  for (const char* name : row.names) {
    if (name == nullptr) break;
    names += (names.empty() ? "`" : ", `") + std::string(name) + "`";
  }
  std::string form = FormWords(row.form);
  if (row.form_note != nullptr) form += " (" + std::string(row.form_note) + ")";
  const std::string default_words = row.default_value != nullptr
                                        ? "`" + std::string(row.default_value) + "`"
                                        : std::string(row.default_text);
  return "| " + names + " | " + form + " | " + default_words + " | " + RangeWords(row) + " | " +
         ReaderWords(row.readers) + " | " + row.doc + " |";
}

// The lines of the docs' tables.
std::vector<std::string> TableLines() {
  std::ifstream in(VSLICE_SOURCE_DIR "/docs/CONFIGURATION.md");
  EXPECT_TRUE(in.good()) << "cannot read " << VSLICE_SOURCE_DIR "/docs/CONFIGURATION.md";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '|') lines.push_back(line);
  }
  return lines;
}

TEST(SettingsDoc, EveryRowHasItsSummaryLine) {
  const std::vector<std::string> lines = TableLines();
  const std::set<std::string> present(lines.begin(), lines.end());
  for (const SettingRow& row : kSettings) {
    const std::string line = SummaryLine(row);
    EXPECT_TRUE(present.count(line) == 1)
        << "docs/CONFIGURATION.md lacks the summary line of " << row.names[0]
        << " (core/settings_table.h), or has another; it should read:\n"
        << line;
  }
}

TEST(SettingsDoc, EveryVariableInTheDocsTablesIsInTheTable) {
  std::set<std::string> names;
  for (const SettingRow& row : kSettings) {
    for (const char* name : row.names) {
      if (name != nullptr) names.insert(name);
    }
  }
  // What the docs' tables name: VSLICE_*, the HAMi names, CANN's.
  const std::regex variable(R"((VSLICE|CUDA|NPU|GPU_CORE|LIBCUDA|ASCEND)_[A-Z0-9_]*[A-Z0-9](_<i>)?)");
  int seen = 0;
  for (const std::string& line : TableLines()) {
    for (std::sregex_iterator it(line.begin(), line.end(), variable), end; it != end; ++it) {
      ++seen;
      EXPECT_TRUE(names.count(it->str()) == 1)
          << "docs/CONFIGURATION.md names " << it->str()
          << " in a table, and the table of settings (core/settings_table.h) has no such "
             "name:\n"
          << line;
    }
  }
  EXPECT_GE(seen, static_cast<int>(names.size())) << "the docs' tables name every setting";
}

}  // namespace
}  // namespace vslice
