#!/usr/bin/env bash
# ensure-debian-packages.sh installs the Debian packages that lifeline's
# tests need and that are missing. It is idempotent and silent when all is
# there; `make test` calls it first.
#
#   /lib/nut/upsd       nut-server     real upsd + dummy-ups driver (nutcheck)
#   /usr/bin/chromium   chromium       headless browser tests (chromedp)
#   /usr/bin/pdftotext  poppler-utils  reading generated PDFs in tests
#
# It runs `apt-get update` once and `apt-get install` only for what is
# missing, as root or through sudo. It exits non-zero with a clear message
# when it cannot install.
set -euo pipefail

# path:package pairs.
required=(
	"/lib/nut/upsd:nut-server"
	"/usr/bin/chromium:chromium"
	"/usr/bin/pdftotext:poppler-utils"
)

missing=()
for entry in "${required[@]}"; do
	path=${entry%%:*}
	pkg=${entry#*:}
	if [[ ! -x $path ]]; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

echo "ensure-debian-packages: installing ${missing[*]} (needed by the tests)"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure-debian-packages: apt-get not found; install ${missing[*]} by hand (a Debian or Ubuntu system is expected)" >&2
	exit 1
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo_cmd=(sudo -n)
	else
		echo "ensure-debian-packages: not root and no password-less sudo; run as root: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi

if ! "${sudo_cmd[@]}" apt-get update -qq >/dev/null; then
	echo "ensure-debian-packages: apt-get update failed; check the network and /etc/apt/sources.list, then run again" >&2
	exit 1
fi

if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	echo "ensure-debian-packages: apt-get install ${missing[*]} failed; see the apt output above and run again" >&2
	exit 1
fi

# Check that the install gave what the tests look for.
for entry in "${required[@]}"; do
	path=${entry%%:*}
	pkg=${entry#*:}
	if [[ ! -x $path ]]; then
		echo "ensure-debian-packages: $pkg is installed but $path is still missing; the tests expect Debian's layout" >&2
		exit 1
	fi
done
echo "ensure-debian-packages: done"
