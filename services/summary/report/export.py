"""The campaign report workbook (workbook.py) written to a file, for the committee's meeting:

    python -m services.summary.report.export CAMPAIGN_ID out.xlsx [--config config.yml] [--token TOKEN]

The report is asked of the running summary service (`campaign_report` by RPC) with a committee or
ops token, given by --token or the environment variable LEIFENG_TOKEN (a token, never the issuer's
private key: `python -m services.common.auth mint --role committee` where the key is kept)."""
import argparse
import os
import sys
from pathlib import Path

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.settings import load_config

from .workbook import workbook_bytes

TOKEN_VARIABLE = "LEIFENG_TOKEN"
REASONS = {"NotFound": "未找到该活动", "Unauthenticated": "令牌无效或已过期", "Forbidden": "该令牌无权导出报表"}


def fetch_report(config, token, campaign_id):
    with ClusterRpcProxy(config, context_data={"auth_token": token}, timeout=30) as proxy:
        return proxy.summary.campaign_report(campaign_id)


def failure(err):
    """A one-line Chinese reason for a failed call: the error type, never its text."""
    if isinstance(err, RemoteError):
        return REASONS.get(err.exc_type, f"summary 服务拒绝了请求({err.exc_type})")
    if isinstance(err, (UnknownService, RpcTimeout)):
        return "summary 服务未运行或无响应(summary is not answering)"
    return f"无法连接 RabbitMQ({type(err).__name__})"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.summary.report.export",
                                     description="导出活动统计报表(Excel)")
    parser.add_argument("campaign_id")
    parser.add_argument("output", help="the .xlsx file to write")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--token", default=os.environ.get(TOKEN_VARIABLE),
                        help=f"a committee or ops token (default: ${TOKEN_VARIABLE})")
    args = parser.parse_args(argv)
    if not args.token:
        print(f"导出失败:缺少令牌(give --token or set {TOKEN_VARIABLE})", file=sys.stderr)
        return 1
    try:
        report = fetch_report(load_config(args.config), args.token, args.campaign_id)
    except (RemoteError, UnknownService, RpcTimeout, OSError) as err:
        print(f"导出失败:{failure(err)}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(workbook_bytes(report))
    print(f"已导出 {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
