# Shared by scripts/install-deps.sh and scripts/install-test-deps.sh (sourced).

# Installs the Debian packages named that are not installed yet.
apt_packages() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Installs PACKAGE==VERSION from PyPI into the venv VENV (outside the work tree) unless it is there.
venv_package() {
    local venv="$1" package="$2" version="$3"
    "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('$package') != '$version')" 2>/dev/null && return 0
    echo "install-deps: installing $package $version into $venv" >&2
    /usr/bin/python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "$package==$version" >&2
}

# Installs the requirements REQ... into python3 unless `import MODULES` already works there.
python_modules() {
    local modules="$1"; shift
    python3 -c "import $modules" 2>/dev/null && return 0
    echo "install-deps: installing $* for python3" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$@" >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@" >&2
}
