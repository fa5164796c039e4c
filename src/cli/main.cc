// vslice: the operator CLI. See usage.cc and docs/CLI.md.
//
// stdout carries results only; every diagnostic goes to stderr as
// "vslice[ <command>]: <message>".
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli_error.h"
#include "cli/run_command.h"
#include "cli/set_command.h"
#include "cli/status_command.h"
#include "cli/usage.h"

#ifndef VSLICE_VERSION
#define VSLICE_VERSION "unknown"
#endif

namespace vslice::cli {
namespace {

int Help(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(MainUsage(), stdout);
    return 0;
  }
  if (args[0] == "run") {
    std::fputs(RunUsage(), stdout);
    return 0;
  }
  if (args[0] == "status") {
    std::fputs(StatusUsage(), stdout);
    return 0;
  }
  if (args[0] == "set") {
    std::fputs(SetUsage(), stdout);
    return 0;
  }
  if (args[0] == "top") {
    std::fputs(TopUsage(), stdout);
    return 0;
  }
  if (args[0] == "help" || args[0] == "version") {
    std::fputs(MainUsage(), stdout);
    return 0;
  }
  throw UsageError("no help for unknown command '" + args[0] + "' (commands: run, status, top, "
                   "set, version, help)");
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(MainUsage(), stderr);
    return kExitUsage;
  }
  const std::string command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "run") return RunCommand(rest);
    if (command == "status") return StatusCommand(rest);
    if (command == "top") return TopCommand(rest);
    if (command == "set") return SetCommand(rest);
    if (command == "help" || command == "--help" || command == "-h") return Help(rest);
    if (command == "version" || command == "--version") {
      std::printf("vslice %s\n", VSLICE_VERSION);
      return 0;
    }
  } catch (const CliError& e) {
    const bool sub = command == "run" || command == "status" || command == "top" || command == "set";
    std::fprintf(stderr, "vslice%s%s: %s\n", sub ? " " : "", sub ? command.c_str() : "",
                 e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vslice: internal error: %s\n", e.what());
    return kExitFailure;
  }
  std::fprintf(stderr, "vslice: unknown command '%s'\n", command.c_str());
  std::fputs(MainUsage(), stderr);
  return kExitUsage;
}

}  // namespace
}  // namespace vslice::cli

int main(int argc, char** argv) { return vslice::cli::Main(argc, argv); }
