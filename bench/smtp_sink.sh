# Sourced by the alerting benches: start_smtp_sink starts Debian's aiosmtpd
# with its Sink handler on a free loopback port and waits until it accepts;
# it sets smtp_port and smtp_pid (the caller's EXIT trap kills it).
start_smtp_sink() {
  local python=/usr/bin/python3
  smtp_port=$($python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  $python -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Sink &
  smtp_pid=$!
  for _ in $(seq 50); do
    (echo >"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && return 0
    sleep 0.1
  done
}
