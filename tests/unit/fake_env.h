// A fake environment for LoadOptions: a table of variables, and a record of
// every name looked up (so tests can see what was read, and what was not).
#ifndef VSLICE_TESTS_UNIT_FAKE_ENV_H_
#define VSLICE_TESTS_UNIT_FAKE_ENV_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/options.h"

namespace vslice::testing {

struct Env {
  std::map<std::string, std::string> vars;
  std::vector<std::string> queried;
};

inline const char* Lookup(const char* name, void* context) {
  Env* env = static_cast<Env*>(context);
  env->queried.push_back(name);
  auto it = env->vars.find(name);
  return it == env->vars.end() ? nullptr : it->second.c_str();
}

inline Options Load(Env& env) { return LoadOptions(&Lookup, &env); }
inline Options Load(std::map<std::string, std::string> vars) {
  Env env{std::move(vars), {}};
  return Load(env);
}

// The error lines kept.
inline std::vector<std::string> Errors(const Options& o) {
  std::vector<std::string> out;
  for (int i = 0; i < o.error_count && i < kMaxOptionErrors; ++i) out.emplace_back(o.errors[i]);
  return out;
}

inline bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
inline bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_UNIT_FAKE_ENV_H_
