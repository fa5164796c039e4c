// The help texts of the vslice CLI (docs/CLI.md has the long form).
#ifndef VSLICE_CLI_USAGE_H_
#define VSLICE_CLI_USAGE_H_

namespace vslice::cli {

const char* MainUsage();
const char* RunUsage();
const char* StatusUsage();
const char* TopUsage();
const char* SetUsage();

}  // namespace vslice::cli

#endif  // VSLICE_CLI_USAGE_H_
