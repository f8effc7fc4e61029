#!/usr/bin/env bash
# Make sure RabbitMQ and Redis answer: start local ones that are installed but stopped, and say
# clearly what is unreachable. A local broker also gets its management API (broker users, tests).
set -u
amqp_uri=${AMQP_URI:-pyamqp://guest:guest@127.0.0.1:5672/}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/0}

hostport() {  # scheme://user:pass@host:port/... -> host port
  local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}
  echo "${rest%%:*} ${rest##*:}"
}
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() {  # host port seconds
  for _ in $(seq 1 "$3"); do listening "$1" "$2" && return 0; sleep 1; done
  return 1
}
# Its file handles are shared by queue files and sockets (docs/operations.md, "Capacity on paper"),
# and Debian's wrapper starts it through `su`, whose session sets the open-files limit back to
# 1,024: too few to recover more than a few vhosts of this topology. As root, start it as its user
# directly, with the shell's hard limit.
start_rabbitmq() {
  if [[ $(id -u) == 0 ]] && id rabbitmq >/dev/null 2>&1 && command -v setpriv >/dev/null \
      && [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server && -d /var/lib/rabbitmq ]]; then
    (ulimit -n "$(ulimit -Hn)" 2>/dev/null; cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq \
      setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server -detached) >/dev/null 2>&1
  else
    rabbitmq-server -detached >/dev/null 2>&1
  fi
}
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

read -r rhost rport <<<"$(hostport "$amqp_uri")"
if ! listening "$rhost" "$rport"; then
  if is_local "$rhost" && command -v rabbitmq-server >/dev/null; then
    echo "RabbitMQ is not running on $rhost:$rport; starting it (rabbitmq-server -detached)"
    start_rabbitmq
  fi
  wait_for "$rhost" "$rport" 60 || { echo "RabbitMQ is unreachable at $rhost:$rport: start it or set AMQP_URI" >&2; exit 1; }
fi

read -r dhost dport <<<"$(hostport "$redis_url")"
if ! listening "$dhost" "$dport"; then
  if is_local "$dhost" && command -v redis-server >/dev/null; then
    echo "Redis is not running on $dhost:$dport; starting it"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$dport" --save "" --appendonly no >/dev/null
  fi
  wait_for "$dhost" "$dport" 20 || { echo "Redis is unreachable at $dhost:$dport: start it or set REDIS_URL" >&2; exit 1; }
fi

# The management API makes the broker users (make run, service.sh) and the tests' vhosts; a local
# broker gets the plugin enabled, a remote one is reported by the provisioning step (RABBIT_API_URI).
if [[ ${1:-} == --for-tests ]] || is_local "$rhost"; then
  if is_local "$rhost" && ! listening 127.0.0.1 15672; then
    rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 || true
    wait_for 127.0.0.1 15672 60 || { echo "RabbitMQ management API (port 15672) is unreachable" >&2; exit 1; }
  fi
  # The broker accepts connections a little before it is ready for vhosts and queues.
  rabbitmqctl await_startup >/dev/null 2>&1 || true
fi
exit 0
