#!/usr/bin/env bash
# Install the Debian packages the pipeline and the tests need, only those missing; used by
# `make test`, `make demo`, `make matrix` and .ci/run, so that a fresh Debian machine needs
# nothing but the README's commands.
#   openjdk-17-jre-headless: openapi-generator (make generate / check-generated)
#   python3-venv: the Makefile's tool venv and the test venvs
#   krb5-kdc, krb5-admin-server, krb5-user, libkrb5-dev: the Kerberos tests (a throwaway MIT
#     KDC; kadmin.local; kinit; headers to build gssapi/krb5 and Airflow's pykerberos)
#   postgresql, postgresql-client: a throwaway PostgreSQL cluster as Airflow's database
#     (Starship and migration tests)
#   git: the matrix writes the client's commit into docs/compatibility.md
#   tmux: the terminal test of `login` (tests/contract/test_cli_terminal.py) types into it
# Usage: scripts/system-deps.sh [--check]   (--check: list what is missing, install nothing)
set -euo pipefail
packages=()
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
command -v git >/dev/null 2>&1 || packages+=(git)
command -v tmux >/dev/null 2>&1 || packages+=(tmux)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || packages+=(python3-venv)
for pair in krb5kdc:krb5-kdc kadmin.local:krb5-admin-server kinit:krb5-user krb5-config:libkrb5-dev; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "${pair%%:*}" >/dev/null 2>&1 || packages+=("${pair#*:}")
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
    || packages+=(postgresql)
command -v psql >/dev/null 2>&1 || packages+=(postgresql-client)
((${#packages[@]})) || exit 0
if [[ "${1:-}" == "--check" ]]; then
    echo "missing Debian packages: ${packages[*]}"
    exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "missing Debian packages: ${packages[*]}; install them as root:" >&2
        echo "  apt-get install --no-install-recommends ${packages[*]}" >&2
        exit 1
    fi
fi
echo "installing Debian packages: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
