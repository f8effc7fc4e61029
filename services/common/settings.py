"""Reading config.yml values: required ones stop the service with a one-line reason."""
import sys


def require_setting(config, name):
    value = config.get(name)
    if value in (None, ""):
        # SystemExit with text prints just that line: no traceback for a missing setting.
        print(f"configuration error: {name} is not set (see config.yml)", file=sys.stderr)
        raise SystemExit(f"configuration error: {name} is not set (see config.yml)")
    return value


def delays(config, name, default):
    """A list of positive delays in seconds, from a YAML list or comma-separated text."""
    value = config.get(name)
    if value in (None, ""):  # an empty environment variable reaches us as None
        value = default
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if isinstance(value, (int, float)):
        value = [value]
    return [float(v) for v in value]


def flag(config, name):
    value = config.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def number(config, name, default):
    value = config.get(name)
    return default if value in (None, "") else float(value)


def load_config(path):
    """config.yml as `nameko run` reads it (`${VAR:default}` taken from the environment)."""
    # Imported here: a service process never reads the file itself and need not load nameko's CLI.
    from nameko.cli.main import setup_yaml_parser
    import yaml

    setup_yaml_parser()
    with open(path) as handle:
        return yaml.safe_load(handle)
