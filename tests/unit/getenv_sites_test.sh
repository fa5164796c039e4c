#!/usr/bin/env bash
# Settings are read from the environment in one place (core/options.h): no
# getenv in src/ outside the files that header names. The simulator (sim/)
# and the tests are not vslice and may read what they like.
#   getenv_sites_test.sh SOURCE_DIR
set -euo pipefail
src=$1/src
allowed=(
  core/options.cc                 # every setting (core/settings_table.h)
  cli/run_environment.cc          # the loader's LD_PRELOAD, extended for vslice run's command
  device_plugin/plugin_config.cc  # the device plugin's own NODE_NAME, HOOK_PATH
  kube/cluster_config.cc          # the Kubernetes client's KUBERNETES_SERVICE_*, KUBECONFIG, HOME
)
found=$(cd "$src" && grep -rnE '\b(secure_)?getenv[[:space:]]*\(' --include='*.cc' --include='*.h' . |
        sed 's|^\./||' || true)
bad=""
while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  file=${hit%%:*}
  ok=0
  for a in "${allowed[@]}"; do [ "$file" = "$a" ] && ok=1; done
  [ "$ok" = 1 ] || bad+="$hit"$'\n'
done <<< "$found"
if [ -n "$bad" ]; then
  printf 'getenv outside the one place settings are read (add the setting to core/settings_table.h and read it in core/options.cc):\n%s' "$bad" >&2
  exit 1
fi
# The allowed files still read what they are allowed for (a stale list
# would let a new site slip in under an old name).
grep -q 'getenv("LD_PRELOAD")' "$src/cli/run_environment.cc"
echo "getenv only where core/options.h says"
