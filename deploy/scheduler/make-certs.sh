#!/usr/bin/env bash
# Makes the TLS certificates of vslice-scheduler's Service (the extender,
# called by kube-scheduler) and of vslice-webhook (called by the API
# server): a private CA and one serving certificate naming every DNS name
# of both Services. Run at install, by the Job in certs-job.yaml or by hand:
#
#   make-certs.sh --out DIR [--namespace vslice-system]
#                 [--service vslice-scheduler] [--service vslice-webhook]
#                 [--apply]
#
# Writes DIR/ca.crt, DIR/tls.crt, DIR/tls.key. With --apply (kubectl and the
# Job's RBAC needed) it also stores them as the Secret vslice-control-plane-tls
# and puts the CA into the MutatingWebhookConfiguration vslice-webhook, so the
# API server trusts the webhook. An existing Secret is kept unless --renew.
set -euo pipefail

out="" namespace="vslice-system" apply=0 renew=0 days=3650
services=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    --namespace) namespace="$2"; shift 2 ;;
    --namespace=*) namespace="${1#*=}"; shift ;;
    --service) services+=("$2"); shift 2 ;;
    --service=*) services+=("${1#*=}"); shift ;;
    --days) days="$2"; shift 2 ;;
    --apply) apply=1; shift ;;
    --renew) renew=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "make-certs.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "make-certs.sh: --out DIR is required" >&2; exit 2; }
[ ${#services[@]} -gt 0 ] || services=(vslice-scheduler vslice-webhook)
command -v openssl >/dev/null || { echo "make-certs.sh: openssl not found" >&2; exit 1; }

if [ "$apply" -eq 1 ] && [ "$renew" -eq 0 ] &&
   kubectl -n "$namespace" get secret vslice-control-plane-tls >/dev/null 2>&1; then
  echo "make-certs.sh: secret $namespace/vslice-control-plane-tls exists; keeping it (--renew to replace)"
  exit 0
fi

mkdir -p "$out"
names="DNS:localhost,IP:127.0.0.1"
for s in "${services[@]}"; do
  names="$names,DNS:$s,DNS:$s.$namespace,DNS:$s.$namespace.svc,DNS:$s.$namespace.svc.cluster.local"
done
openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=vslice-control-plane-ca" \
  -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=${services[0]}.$namespace.svc" \
  -keyout "$out/tls.key" -out "$out/tls.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$names" \
  > "$out/ext.cnf"
openssl x509 -req -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -days "$days" -extfile "$out/ext.cnf" -out "$out/tls.crt" 2>/dev/null
rm -f "$out/tls.csr" "$out/ext.cnf" "$out/ca.srl"
chmod 600 "$out/tls.key" "$out/ca.key"
echo "make-certs.sh: wrote $out/ca.crt, $out/tls.crt, $out/tls.key for ${services[*]} in $namespace"

if [ "$apply" -eq 1 ]; then
  kubectl -n "$namespace" create secret generic vslice-control-plane-tls \
    --from-file=tls.crt="$out/tls.crt" --from-file=tls.key="$out/tls.key" --from-file=ca.crt="$out/ca.crt" \
    --dry-run=client -o yaml | kubectl apply -f -
  ca=$(base64 -w0 < "$out/ca.crt")
  kubectl patch mutatingwebhookconfiguration vslice-webhook --type=json \
    -p "[{\"op\":\"replace\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca\"}]"
  echo "make-certs.sh: stored secret $namespace/vslice-control-plane-tls and the webhook's caBundle"
fi
