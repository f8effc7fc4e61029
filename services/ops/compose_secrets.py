"""The secrets docker-compose.yml reads (contract §6), made once before the first `docker compose up`:

    python -m services.ops.compose_secrets [--dir .keys]

- `<dir>/amqp/<name>`: a random password per broker user (the services, `integration`,
  `rpc-client`) and for `admin`, the management UI's administrator; kept when they exist;
- `<dir>/rabbitmq-definitions.json`: those users (salted SHA-256 hashes, never the passwords),
  each with exactly its grant (contract §6) in the vhost `/`, loaded by RabbitMQ at boot, so no
  `guest` user is ever made;
- `<dir>/redis/<name>` and `<dir>/redis-users.acl`: a Redis ACL user per service limited to its own
  key prefix, `ops` (read-only, for the audit and queue commands), `admin` (everything: maintenance
  and tests) and `health` (PING only, no password, for the healthcheck); the default user is off,
  so Redis requires a password.
Passwords are mode 600 in mode 700 directories (git-ignored, never in the image): compose runs the
service containers as the user owning them (LEIFENG_UID). The definitions and the ACL file hold only
salted or plain SHA-256 hashes of 256-bit random passwords and are mode 644, so that the rabbitmq and
redis containers' own users can read them."""
import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
from pathlib import Path

from services.common import broker_users as users

from .provision import grant_of, password

REDIS_USERS = ("pairing", "activity", "summary", "notification", "gateway")
# A service's Redis user: its own keys, every command but the server-wide and dangerous ones.
SERVICE_ACL = ("on #{hash} ~{name}:* resetchannels "
               "-@all +@read +@write +@transaction +@scripting +@connection -@dangerous")


def rabbit_hash(secret):
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + secret.encode()).digest()).decode()


def definitions(amqp_dir):
    found = {"vhosts": [{"name": "/"}], "users": [], "permissions": [], "topic_permissions": []}
    for name in (*users.USERS, "admin"):
        found["users"].append({"name": name, "password_hash": rabbit_hash(password(name, amqp_dir)),
                               "hashing_algorithm": "rabbit_password_hashing_sha256",
                               "tags": "administrator" if name == "admin" else ""})
        grant = users.Grant(".*", ".*", ".*") if name == "admin" else grant_of(name)
        found["permissions"].append({"user": name, "vhost": "/", "configure": grant.configure,
                                     "write": grant.write, "read": grant.read})
        found["topic_permissions"] += [{"user": name, "vhost": "/", "exchange": exchange, "write": write,
                                        "read": read} for exchange, (write, read) in sorted(grant.topics.items())]
    return found


def redis_acl(redis_dir):
    def digest(name):
        return hashlib.sha256(password(name, redis_dir).encode()).hexdigest()
    lines = ["user default off", "user health on nopass resetchannels -@all +ping",
             f"user admin on #{digest('admin')} ~* &* +@all",
             f"user ops on #{digest('ops')} ~* resetchannels -@all +@read +@connection -@dangerous"]
    lines += [f"user {name} {SERVICE_ACL.format(hash=digest(name), name=name)}" for name in REDIS_USERS]
    return "\n".join(lines) + "\n"


def write_hashes(path, text):
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.ops.compose_secrets")
    parser.add_argument("--dir", default=".keys")
    base = Path(parser.parse_args(argv).dir)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_hashes(base / "rabbitmq-definitions.json", json.dumps(definitions(base / "amqp"), indent=2))
    write_hashes(base / "redis-users.acl", redis_acl(base / "redis"))
    print(f"compose secrets ready in {base}/ (amqp/, redis/, rabbitmq-definitions.json, redis-users.acl)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
