"""python -m services.demo [--url URL] [--key PRIVATE_KEY]: plays a campaign through the gateway of a
running system (`make run`) and prints what the committee would see. Exit 1 with a Chinese reason
when the system is not there or a step fails."""
import argparse
import os
import sys
import warnings

# eventlet and pkg_resources announce their deprecation on import: noise in a newcomer's terminal.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

from . import show  # noqa: E402
from .client import DemoError, Gateway  # noqa: E402
from .play import play  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.demo")
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}")
    parser.add_argument("--key", default=".keys/jwt_private.pem", help="the development signing key")
    args = parser.parse_args(argv)
    try:
        with open(args.key) as key:
            gateway = Gateway(args.url, key.read())
    except OSError:
        print(f"读不到开发密钥 {args.key}：make run 第一次启动时会生成它。", file=sys.stderr)
        return 1
    try:
        gateway.check()
        campaign_id = play(gateway)
    except DemoError as err:
        print(f"\n演示中止：{err}", file=sys.stderr)
        return 1
    show.next_steps(args.url, campaign_id, gateway.serves("/console/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
