#!/usr/bin/env bash
# A real Postfix on this machine, listening on 127.0.0.1:25 only, delivering mail for the local
# user `cp247mail` into /home/cp247mail/Maildir/. The notification tests use it as their SMTP
# server and `cp247 bench` as today's practice (gpg + SMTP). It never relays: mail for any other
# domain is refused. Safe to run again; prints the Maildir path on success.
set -euo pipefail

MAILUSER=cp247mail
DOMAIN=cp247.test

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v postfix >/dev/null 2>&1 && [ ! -x /usr/sbin/postfix ]; then
  echo "postfix-local: installing postfix (Local only)" >&2
  printf '%s\n' \
    "postfix postfix/main_mailer_type select Local only" \
    "postfix postfix/mailname string $DOMAIN" | sudo_if_needed debconf-set-selections
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
fi

if ! id "$MAILUSER" >/dev/null 2>&1; then
  sudo_if_needed useradd --create-home --shell /usr/sbin/nologin "$MAILUSER"
fi

sudo_if_needed /usr/sbin/postconf -e \
  "inet_interfaces = 127.0.0.1" \
  "inet_protocols = ipv4" \
  "myhostname = $DOMAIN" \
  "mydestination = $DOMAIN, localhost" \
  "mynetworks = 127.0.0.0/8" \
  "relayhost =" \
  "relay_domains =" \
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
  "home_mailbox = Maildir/" \
  "mailbox_size_limit = 0" \
  "message_size_limit = 52428800" \
  "smtpd_tls_security_level = none" \
  "smtp_tls_security_level = none" \
  "default_process_limit = 100" \
  "alias_maps =" \
  "alias_database ="

sudo_if_needed install -d -o "$MAILUSER" -g "$MAILUSER" -m 700 \
  "/home/$MAILUSER/Maildir" "/home/$MAILUSER/Maildir/new" \
  "/home/$MAILUSER/Maildir/cur" "/home/$MAILUSER/Maildir/tmp"

if sudo_if_needed /usr/sbin/postfix status >/dev/null 2>&1; then
  sudo_if_needed /usr/sbin/postfix reload >/dev/null 2>&1
else
  sudo_if_needed /usr/sbin/postfix start >/dev/null 2>&1
fi

for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null; then
    echo "/home/$MAILUSER/Maildir"
    exit 0
  fi
  sleep 0.2
done
echo "postfix-local: Postfix did not start listening on 127.0.0.1:25" >&2
exit 1
