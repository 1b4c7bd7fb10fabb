"""`python -m api.healthcheck`: exit 0 when the local API answers `/readyz` with 200, else 1.

Container health checks run this instead of curl (the slim image has none), on the port the API itself reads from
JAUAP_PORT, so changing the port cannot silently break the check.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request


def probe(url: str, timeout: float = 3.0) -> tuple[bool, str]:
    """GET `url`; healthy only on HTTP 200 within `timeout` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return False, f"unreachable: {getattr(exc, 'reason', exc)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="URL to probe (default: http://127.0.0.1:$JAUAP_PORT/readyz)")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    url = args.url
    if not url:
        from config import Settings

        url = f"http://127.0.0.1:{Settings.load().api.port}/readyz"
    healthy, detail = probe(url, args.timeout)
    print(f"{url}: {detail}", file=sys.stderr if not healthy else sys.stdout)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
