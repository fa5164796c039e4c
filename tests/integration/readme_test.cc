// The README says what to run and what it prints: these tests run it. The
// demo's output must be the README's (pids aside), and the commands of its
// "Use" section must work as written, the application aside.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process_harness.h"

namespace vslice::testing {
namespace {

std::string SourceDir() { return VSLICE_TEST_SOURCE_DIR; }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The README's fenced blocks, each as its lines.
std::vector<std::vector<std::string>> ReadmeBlocks() {
  std::ifstream in(SourceDir() + "/README.md");
  std::vector<std::vector<std::string>> blocks;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      if (!inside) blocks.emplace_back();
      inside = !inside;
    } else if (inside) {
      blocks.back().push_back(line);
    }
  }
  return blocks;
}

// The first block with a line starting with `start`, from that line on.
std::vector<std::string> BlockFrom(const std::string& start) {
  for (const auto& block : ReadmeBlocks()) {
    for (std::size_t i = 0; i < block.size(); ++i) {
      if (block[i].rfind(start, 0) == 0) return {block.begin() + i, block.end()};
    }
  }
  ADD_FAILURE() << "README.md has no block with a line starting '" << start << "'";
  return {};
}

// Pids differ from run to run.
std::string WithoutPids(const std::string& line) {
  static const std::regex pid("(pid |vslice\\[)[0-9]+");
  return std::regex_replace(line, pid, "$1N");
}

// The operator's environment: the tools, the test's pod folder, and no
// region of its own (one that does not exist, rather than the host's default).
std::map<std::string, std::string> ToolEnvironment(const Scratch& scratch) {
  std::map<std::string, std::string> env = PodEnvironment(scratch);
  env.erase("LD_PRELOAD");
  env["VSLICE_REGION"] = scratch.File("no-such.region");
  return env;
}

TEST(ReadmeTest, TheDemoPrintsWhatTheReadmeShows) {
  if (RealGpu()) GTEST_SKIP() << "compared on the simulated device";
  const std::vector<std::string> shown = BlockFrom("vslice demo: vslice run");
  ASSERT_GE(shown.size(), 5u);
  Scratch scratch;
  std::map<std::string, std::string> env = ToolEnvironment(scratch);
  env.erase("VSLICE_CONTEXT_RESERVE");  // the demo shows the default
  env.erase("LD_LIBRARY_PATH");         // the demo sets up the simulator itself
  env.erase("VSLICE_SIM_STATE");
  env["VSLICE_BUILD_DIR"] = BinDir() + "/..";
  const ProcessResult r =
      RunProcess({"bash", "-c", SourceDir() + "/scripts/demo.sh --no-build 2>&1"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<std::string> printed = Lines(r.out);
  while (!printed.empty() && printed.front().rfind("vslice demo: vslice run", 0) != 0) {
    printed.erase(printed.begin());
  }
  ASSERT_EQ(printed.size(), shown.size()) << r.out;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    EXPECT_EQ(WithoutPids(printed[i]), WithoutPids(shown[i])) << "line " << i << " of:\n" << r.out;
  }
}

// `vslice ...` with the application after "--" replaced by a probe that
// holds 64 MiB until its input closes.
std::vector<std::string> Command(const std::string& line) {
  std::vector<std::string> argv;
  std::istringstream words(line.substr(0, line.find('#')));
  for (std::string w; words >> w;) {
    if (w == "--") break;
    argv.push_back(w);
  }
  argv[0] = BinDir() + "/vslice";
  if (line.find(" -- ") != std::string::npos) {
    for (std::string step : {"--", "", "alloc:mem:64m", "ready", "wait"}) argv.push_back(step);
    argv[argv.size() - 4] = BinDir() + "/vslice_probe";
  }
  return argv;
}

TEST(ReadmeTest, TheUseCommandsWorkAsWritten) {
  std::vector<std::string> commands;
  for (const std::string& line : BlockFrom("vslice run --memory 2g -- python app.py")) {
    if (line.rfind("vslice ", 0) == 0) commands.push_back(line);
  }
  // The block shows each command: if it stops doing so, so does this test.
  for (const char* kind : {"vslice run ", "vslice status", "vslice set ", "vslice top"}) {
    bool found = false;
    for (const std::string& c : commands) found = found || c.rfind(kind, 0) == 0;
    EXPECT_TRUE(found) << "README.md's Use block has no '" << kind << "'";
  }
  Scratch scratch;
  const std::map<std::string, std::string> env = ToolEnvironment(scratch);
  std::vector<std::unique_ptr<Background>> pods;
  for (const std::string& line : commands) {
    const std::vector<std::string> argv = Command(line);
    if (argv[1] == "run") {
      pods.push_back(std::make_unique<Background>(argv, env));
      EXPECT_TRUE(pods.back()->WaitForLine("ready")) << line;
    } else if (argv[1] == "top" && argv.size() == 2) {
      // Runs until interrupted: its first report comes at once, then Ctrl-C.
      Background top(argv, env);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      top.Kill(SIGINT);
      const ProcessResult r = top.Wait();
      const std::size_t reports = LinesStartingWith(r.out, "vslice top  ").size();
      EXPECT_GE(reports, 1u) << line << ":\n" << r.out << r.err;
      EXPECT_EQ(LinesStartingWith(r.out, "  inference ").size(), reports) << line << ":\n" << r.out;
      EXPECT_EQ(r.err, "") << line;
    } else {
      const ProcessResult r = RunProcess(argv, env);
      EXPECT_EQ(r.exit_code, 0) << line << ":\n" << r.out << r.err;
      EXPECT_NE(r.out.find("inference"), std::string::npos) << line << ":\n" << r.out;
    }
  }
  for (auto& pod : pods) {
    pod->CloseInput();
    EXPECT_EQ(pod->Wait().exit_code, 0);
  }
}

}  // namespace
}  // namespace vslice::testing
