#!/usr/bin/env bash
# Deploys ide-orchestrator behind Traefik with HTTPS (Let's Encrypt) as a Swarm stack:
# docker-compose.http.yml plus docker-compose.https.yml.
#
#   DOMAIN=ide.example.com ACME_EMAIL=ops@example.com API_KEY=... scripts/deploy-traefik.sh [--check] [STACK]
#
# DOMAIN must be a domain name whose DNS points at the Swarm manager running Traefik, with
# ports 80 and 443 reachable from the internet (Let's Encrypt's HTTP challenge); ACME_EMAIL is
# the account address Let's Encrypt writes to. Everything else is as for scripts/deploy-http.sh,
# which this runs after checking those two.
#
# IDE routes default to ROUTE_MODE=host: each container's code, vnc and web route is its own
# host <route>-<id>.<IDE_DOMAIN> (IDE_DOMAIN defaults to DOMAIN), and the API and dashboard live
# on API_DOMAIN (default api.<DOMAIN>). Point DNS for *.<IDE_DOMAIN> and API_DOMAIN at the manager.
# The IDE routers ask for one wildcard certificate (*.<IDE_DOMAIN>); Let's Encrypt issues wildcard
# certificates only through the DNS challenge: configure the resolver named TRAEFIK_CERT_RESOLVER
# with your DNS provider (Traefik's --certificatesresolvers.<name>.acme.dnschallenge.provider and
# the provider's credentials) instead of the HTTP challenge, or use ROUTE_MODE=path.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "deploy-traefik: $*" >&2; }
missing=()
domain="${DOMAIN:-}"
label='[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?'
if [ -z "$domain" ]; then
    missing+=("DOMAIN: the public domain name, e.g. ide.example.com")
elif [ "$domain" = localhost ] || [[ "$domain" =~ ^[0-9.]+$ || "$domain" == *:* ]]; then
    missing+=("DOMAIN=$domain is not a domain name: Let's Encrypt certifies names only (for localhost or an IP use scripts/deploy-http.sh)")
elif ! [[ "$domain" =~ ^($label\.)+[a-zA-Z]{2,63}$ ]] || [ "${#domain}" -gt 253 ]; then
    missing+=("DOMAIN=$domain is not a fully qualified domain name such as ide.example.com")
fi
if [ -z "${ACME_EMAIL:-}" ]; then
    missing+=("ACME_EMAIL: the address Let's Encrypt sends expiry notices to")
elif ! [[ "$ACME_EMAIL" =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]]; then
    missing+=("ACME_EMAIL=$ACME_EMAIL is not an e-mail address")
fi
if [ "${#missing[@]}" -gt 0 ]; then
    log "cannot deploy with HTTPS; missing:"
    for m in "${missing[@]}"; do echo "  - $m" >&2; done
    exit 1
fi
export DOMAIN="$domain" ACME_EMAIL
export API_DOMAIN="${API_DOMAIN:-api.$domain}"
export TRAEFIK_CERT_RESOLVER="${TRAEFIK_CERT_RESOLVER:-letsencrypt}"
IDE_DEPLOY_HTTPS=1 exec scripts/deploy-http.sh "$@"
